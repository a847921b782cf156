"""The dashboard's payment forms: record a payment received elsewhere, refund a card payment.
Rules from forms.rules (amounts and dates read from their text), as everywhere."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from forms import rules
from forms.customer import Rule, text_rule
from forms.invoice import AmountField
from models.payment import OFFLINE_KINDS, REFERENCE_MAX
from services.payments import OFFLINE_NAMES


def _method(_form, value: str) -> str:
    if value not in OFFLINE_KINDS:
        raise rules.RuleError("Choose how it was paid")
    return value


class RecordPaymentForm(FlaskForm):
    amount = AmountField("Amount", validators=[Rule(lambda _f, v: rules.parse_amount(v))])
    paid_on = StringField("Paid on", validators=[Rule(lambda _f, v: rules.parse_date(v, label="Date paid"))])
    method = SelectField("Method", choices=[SelectChoice(kind, OFFLINE_NAMES[kind]) for kind in OFFLINE_KINDS],
                         validate_choice=False, validators=[Rule(_method)])
    reference = StringField("Reference", validators=[text_rule("Reference", REFERENCE_MAX, required=False)])


class RefundForm(FlaskForm):
    amount = AmountField("Amount", validators=[Rule(lambda _f, v: rules.parse_amount(v, label="Refund"))])
    # One per form drawn: a resubmitted refund refunds once.
    key = HiddenField()
