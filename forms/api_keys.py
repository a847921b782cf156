"""The form that makes an API key on the dashboard."""

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from forms.customer import text_rule
from models.api import SCOPES


class ApiKeyForm(FlaskForm):
    name = StringField("Name", validators=[text_rule("Name", 100, required=True,
                                                     required_message="Enter a name for the key")])
    scope = RadioField("Access", choices=[SelectChoice("read", "Read: lists and reads only"),
                                          SelectChoice("write", "Write: also creates and changes")],
                       default="read", validate_choice=False)

    def validate_scope(self, field):
        if field.data not in SCOPES:
            raise ValidationError("Choose read or write")
