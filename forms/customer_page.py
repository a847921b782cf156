"""Forms of the customer's page: the profile edit, users added later, a user's edit.

They extend the Add-customer forms, so every field keeps the rules of step 1 and step 2.
"""

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField
from wtforms.validators import ValidationError

import keys
from extensions import db
from forms.customer import CustomerDetailsForm, CustomerUsersForm, UserRowForm, already_a_user
from models import CustomerUser
from request_input import int_value


class ProfileForm(CustomerDetailsForm):
    """The profile edit: step 1's fields, and the version the edit started from."""

    version = HiddenField()

    def started_from(self) -> int | None:
        return int_value(self.version.data, low=1)


class AddUsersForm(CustomerUsersForm):
    """Users added to an existing customer: step 2's rows, and none of its present emails."""

    def __init__(self, *args, customer_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer_id = customer_id

    def validate_users(self, field):
        by_key = {
            keys.email_key(row.form.email.data): row.form.email
            for row in field.entries
            if not row.form.email.errors and row.form.email.data
        }
        taken = set()
        if by_key:
            taken = set(db.session.scalars(
                select(CustomerUser.email_key).where(
                    CustomerUser.customer_id == self.customer_id, CustomerUser.email_key.in_(by_key)
                )
            ))
        for key in taken:
            by_key[key].errors = [already_a_user(by_key[key].data)]
        super().validate_users(field)
        if taken:
            raise ValidationError("Each user needs an email address this customer does not have yet")


class UserEditForm(FlaskForm, UserRowForm):
    """A user's name and email, with step 2's rules; the email stays unique on the customer."""

    class Meta:
        csrf = False  # made with prefix="user"; CSRFProtect checks every POST's csrf_token

    def __init__(self, *args, user: CustomerUser, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_email(self, field):
        if field.errors or not field.data:
            return
        query = select(CustomerUser.id).where(
            CustomerUser.customer_id == self.user.customer_id,
            CustomerUser.email_key == keys.email_key(field.data),
            CustomerUser.id != self.user.id,
        )
        if db.session.scalar(query) is not None:
            raise ValidationError(already_a_user(field.data))
