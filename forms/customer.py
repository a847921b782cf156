"""The customer forms: details (step 1, and the profile edit) and users (step 2).

Every rule lives in forms.rules and runs through these classes, whether the
request is a blur check, Continue, Create Customer or a later edit.
"""

from collections.abc import Mapping, Sequence
from functools import cache

from flask_wtf import FlaskForm
from sqlalchemy import Row, Select, bindparam
from werkzeug.datastructures import MultiDict
from wtforms import Form, FormField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError

import keys
from forms import rules
from models import Customer
from models.customer import EXTERNAL_ID_MAX, SOURCE_MAX
from request_input import RowList
from services.errors import DomainError, InvalidFields
from tenancy import customers
from unit_of_work import read_first


class Rule:
    """Run a forms.rules function on a field; its result becomes the field's
    (normalized) data, and its RuleError becomes the field's message."""

    def __init__(self, normalize, *, optional: bool = False):
        self.normalize = normalize
        self.optional = optional

    def __call__(self, form, field):
        value = field.data if isinstance(field.data, str) else ""
        if self.optional and not value.strip():
            field.data = ""
            raise StopValidation()
        try:
            field.data = self.normalize(form, value)
        except rules.RuleError as error:
            raise StopValidation(str(error)) from None


def text_rule(label: str, max_length: int, *, required: bool, required_message: str | None = None):
    def normalize(_form, value):
        return rules.clean_text(
            value, label=label, max_length=max_length, required=required,
            required_message=required_message,
        )

    return Rule(normalize)


def _known_region(form) -> str | None:
    """The form's region, when it is already known to be right."""
    state = form.state
    if state.errors or form.country.errors:
        return None
    try:
        return rules.normalize_region(state.data or "", form.country.data)
    except rules.RuleError:
        return None


def _known_country(form) -> str:
    """The form's country, once it is known to be right: a state is not judged against an
    unknown country (the address data has none to look it up in); the country's own
    message says what to fix."""
    if form.country.errors:
        raise StopValidation()
    return form.country.data


@cache
def state_choices(country: str) -> tuple[SelectChoice, ...]:
    """The State/Province options of a country (about 60), made once per worker: they are
    only read, never changed, by the fields that show them."""
    return tuple(SelectChoice(value, label, optgroup=group)
                 for group, options in rules.region_choices(country) for value, label in options)


class ChoiceOrTextField(SelectField):
    """A select in the browser; an import or API may also send the name or
    any-case code, which the field's Rule normalizes (so no choice check here)."""

    def pre_validate(self, form):
        pass

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = valuelist[0]


class CustomerDetailsForm(FlaskForm):
    """The company's details: step 1 of Add customer, and the profile edit form."""

    # The fields each rule reads (forms.checks): the postal code is judged with its country
    # and state, so a blur check of either also redraws (and re-judges) the postal code.
    DEPENDS = {"state": ("country",), "postal_code": ("country", "state")}
    FIELDS = ("company", "legal_name", "ein", "country", "address", "city", "state", "postal_code")

    company = StringField(
        "Company",
        validators=[text_rule("Company", 200, required=True, required_message="Enter the company name")],
    )
    legal_name = StringField("Legal name", validators=[text_rule("Legal name", 200, required=False)])
    ein = StringField("EIN", validators=[Rule(lambda _f, v: rules.normalize_ein(v), optional=True)])
    country = ChoiceOrTextField(
        "Country", choices=[SelectChoice(code, name) for code, name in rules.COUNTRIES], default="US",
        validators=[Rule(lambda _f, v: rules.normalize_country(v))],
    )
    address = StringField("Address", validators=[text_rule("Address", 200, required=True)])
    city = StringField("City", validators=[text_rule("City", 100, required=True)])
    state = ChoiceOrTextField(
        "State/Province", choices=[],
        validators=[Rule(lambda f, v: rules.normalize_region(v, _known_country(f)))],
    )
    postal_code = StringField(
        "ZIP/Postal Code",
        validators=[Rule(lambda f, v: rules.normalize_postal_code(v, f.country.data, _known_region(f)))],
    )

    def __init__(self, *args, partner_id: int, customer_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner_id = partner_id
        self.customer_id = customer_id  # the customer being edited, if any
        # Another of the partner's customers (its id and company) with this EIN, or this name.
        self.duplicate_ein_of: Row | None = None
        self.same_company_as: Row | None = None
        self.refresh_choices()

    # -- what the template shows for the chosen country

    @property
    def country_code(self) -> str:
        try:
            return rules.normalize_country(self.country.data or "US")
        except rules.RuleError:
            return "US"

    def refresh_choices(self) -> None:
        if self.country is None:  # a blur check's form without the address (forms.checks.form_for_check)
            return
        code = self.country_code
        self.state.choices = state_choices(code)
        self.state.label.text = "State" if code == "US" else "Province or territory"
        self.postal_code.label.text = rules.postal_label(code)

    @property
    def postal_hint(self) -> str:
        return rules.postal_hint(self.country_code)

    # -- checks that need the database

    def _other_customer(self, column: str, value: str) -> Row | None:
        """The id and company of the partner's first customer, other than the one being
        edited, whose `column` is `value`: one query, over an index, of two columns."""
        query = _same_value_query(column, editing=self.customer_id is not None)
        return read_first(query, {"partner_id": self.partner_id, "value": value, "customer_id": self.customer_id})

    def validate_ein(self, field):
        if not field.data:
            return
        existing = self._other_customer("ein", field.data)
        if existing is not None:
            self.duplicate_ein_of = existing
            raise ValidationError(f"{existing.company} already has the EIN {field.data}")

    def find_same_company(self) -> None:
        """A warning, not an error: the partner may have two offices of one company."""
        if self.company.errors or not self.company.data:
            return
        self.same_company_as = self._other_customer("company_key", keys.company_key(self.company.data))

    # -- entry points

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        self.refresh_choices()
        self.find_same_company()
        return ok

    def after_check(self, name: str) -> None:
        """After a blur check (forms.checks): the options, label and hint of the chosen country."""
        self.refresh_choices()
        if name == "company":
            self.find_same_company()

    def cleaned(self) -> dict:
        """The normalized values, as the draft and the Customer model keep them."""
        return {name: (self[name].data or None) if name in ("legal_name", "ein") else self[name].data
                for name in self.FIELDS}


@cache
def _same_value_query(column: str, *, editing: bool) -> Select:
    """The duplicate lookup of a blur check, built once per (column, editing): building a
    select costs more than running it. The partner is still named at every run."""
    query = customers(bindparam("partner_id"), Customer.id, Customer.company).where(
        getattr(Customer, column) == bindparam("value"))
    if editing:
        query = query.where(Customer.id != bindparam("customer_id"))
    return query.order_by(Customer.id).limit(1)


class NewCustomerDetailsForm(CustomerDetailsForm):
    """Step 1 carries the token of the draft it belongs to."""

    draft_token = HiddenField()


class UserRowForm(Form):
    """One row of step 2: a person at the customer."""

    name = StringField("Name", validators=[text_rule("Name", 200, required=True)])
    email = StringField("Email", validators=[Rule(lambda _f, v: rules.normalize_email(v))])


MAX_USERS = 200


def already_a_user(email: str) -> str:
    """The message of the rule "one email once per customer", wherever it is checked."""
    return f"{email} is already a user of this customer"


class CustomerUsersForm(FlaskForm):
    """Step 2 of Add customer: at least one user, emails unique ignoring case."""

    draft_token = HiddenField()
    users = RowList(FormField(UserRowForm), min_entries=1, max_entries=MAX_USERS)

    def validate_users(self, field):
        seen: dict[str, int] = {}
        for index, row in enumerate(field.entries):
            email = row.form.email
            if email.errors or not email.data:
                continue
            key = keys.email_key(email.data)
            if key in seen:
                email.errors = [already_a_user(email.data)]
                raise ValidationError("Each user needs a different email address")
            seen[key] = index

    def cleaned(self) -> list[dict]:
        return [{"name": row.form.name.data, "email": row.form.email.data} for row in self.users.entries]


def users_field(index: int, name: str) -> str:
    """How a user row's field is named outside the page's form (the API's `param`, an import's column)."""
    return f"users[{index}].{name}"


def judge_customer(partner_id: int, details: Mapping[str, str], users: Sequence[Mapping[str, str]] | None, *,
                   customer_id: int | None = None) -> tuple[dict, list[dict] | None]:
    """A customer's step-1 values and users, given as text (an API request, an import row),
    judged by the very forms the dashboard's steps run. Returns the normalized values
    (users: None when none were given); raises InvalidFields naming every refused field.
    customer_id: the customer being updated (its own EIN is no duplicate)."""
    errors: list[DomainError] = []
    form = CustomerDetailsForm(formdata=MultiDict({name: details.get(name) or "" for name in
                                                   CustomerDetailsForm.FIELDS}),
                               meta={"csrf": False}, partner_id=partner_id, customer_id=customer_id)
    if not form.validate():
        errors += [DomainError(messages[0], field=name) for name, messages in form.errors.items()]
    cleaned_users = None
    if users is not None:
        if not 1 <= len(users) <= MAX_USERS:
            errors.append(DomainError(f"Add between 1 and {MAX_USERS} users", field="users"))
        else:
            rows = MultiDict()
            for index, user in enumerate(users):
                rows[f"users-{index}-name"] = user.get("name") or ""
                rows[f"users-{index}-email"] = user.get("email") or ""
            users_form = CustomerUsersForm(formdata=rows, meta={"csrf": False})
            if users_form.validate():
                cleaned_users = users_form.cleaned()
            for index, entry in enumerate(users_form.users.entries):
                errors += [DomainError(field.errors[0], field=users_field(index, name))
                           for name, field in entry.form._fields.items() if field.errors]
    if errors:
        raise InvalidFields(errors)
    return form.cleaned(), cleaned_users


def judge_sync_key(source: str | None, external_id: str | None) -> tuple[str | None, str | None]:
    """Where a synced customer or invoice came from and its id there, by the text rules of
    every single-line field: (None, None) when there is no external id."""
    errors = []
    values = {}
    for name, label, value, max_length in (("source", "Source", source, SOURCE_MAX),
                                           ("external_id", "External ID", external_id, EXTERNAL_ID_MAX)):
        try:
            values[name] = rules.clean_text(value, label=label, max_length=max_length, required=False) or None
        except rules.RuleError as error:
            errors.append(DomainError(str(error), field=name))
    if not errors and values["external_id"] and not values["source"]:
        errors.append(DomainError("Enter the source of the external ID", field="source"))
    if errors:
        raise InvalidFields(errors)
    return values["source"], values["external_id"]
