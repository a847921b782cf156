"""The partner's settings (/settings): what invoices say about the partner, and whose clock and
number format the dashboard follows. Rules from forms.rules, as everywhere."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from forms import rules
from forms.customer import Rule, text_rule
from models.partner import LOGO_MAX_BYTES, logo_type


class PartnerSettingsForm(FlaskForm):
    FIELDS = ("legal_name", "address", "ein", "gst_hst_number", "time_zone", "locale", "surcharge_percent")

    legal_name = StringField("Legal name", validators=[text_rule("Legal name", 200, required=False)])
    address = TextAreaField("Address", validators=[
        Rule(lambda _f, v: rules.clean_paragraphs(v, label="Address", max_length=500)),
    ])
    ein = StringField("EIN", validators=[Rule(lambda _f, v: rules.normalize_ein(v), optional=True)])
    gst_hst_number = StringField("GST/HST number", validators=[
        Rule(lambda _f, v: rules.normalize_gst_hst(v), optional=True),
    ])
    time_zone = SelectField("Time zone", validate_choice=False,
                            validators=[Rule(lambda _f, v: rules.normalize_time_zone(v))])
    locale = SelectField("Amounts and dates", choices=[SelectChoice(*each) for each in rules.LOCALES],
                         validate_choice=False,
                         validators=[Rule(lambda _f, v: rules.normalize_locale(v))])
    surcharge_percent = StringField("Credit card surcharge (%)", validators=[
        Rule(lambda _f, v: rules.parse_surcharge_percent(v)),
    ])
    surcharges_on = BooleanField("Add the surcharge to credit card payments")
    logo = FileField("Logo")
    remove_logo = BooleanField("Remove the logo")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone.choices = [SelectChoice(zone, zone.replace("_", " ")) for zone in rules.time_zones()]
        self.logo_bytes: bytes | None = None

    def validate_logo(self, field):
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            return
        data = upload.read(LOGO_MAX_BYTES + 1)
        if len(data) > LOGO_MAX_BYTES:
            raise ValidationError(f"The logo must be {LOGO_MAX_BYTES // 1000} kB or smaller")
        if logo_type(data) is None:
            raise ValidationError("The logo must be a PNG or JPEG image")
        self.logo_bytes = data

    def cleaned(self) -> dict:
        return {**{name: self[name].data or None if name in ("legal_name", "address", "ein", "gst_hst_number")
                   else self[name].data for name in self.FIELDS}, "surcharges_on": self.surcharges_on.data}
