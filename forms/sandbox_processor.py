"""The sandbox processor's own forms: a card and a bank account (blueprints/sandbox_processor.py).

They stand for the processor's hosted form, so the app's own routes never receive what they
take. Each field's rule is the sandbox's (payments.sandbox.judge_*, payments.rules): the blur
check, the submit and the tokenizing judge alike.

A card number, a security code and an account number are never drawn back into a page (the
fields' _value is empty): a refused form asks for them again, with the message beside them.
"""

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import StopValidation

from forms.customer import Rule
from forms.rules import RuleError
from payments import rules, sandbox
from request_input import safe_next


class UnechoedField(StringField):
    """A field whose value the page never shows again (a number the app must never render)."""

    def _value(self) -> str:
        return ""


def _today():
    return datetime.now(UTC).date()


def _card_number(_form, value):
    return sandbox.judge_card_number(value)[0]


def _typed(field) -> str:
    return field.raw_data[0] if field.raw_data else ""


def _expiry_year(form, value):
    month = _typed(form.exp_month)
    try:
        rules.check_expiry_month(month)
    except RuleError:
        month = "12"  # the month's own message says what is wrong with it; judge the year alone
    return str(rules.check_expiry(month, value, _today())[1])


def _cvc(form, value):
    try:
        brand = rules.normalize_card_number(_typed(form.number))[1]
    except RuleError:  # the code's length depends on the brand: until the number is right, only ask for it
        if not (value or "").strip():
            raise RuleError("Enter the security code") from None
        return value
    return rules.check_cvc(value, brand)


class ReturnTo(HiddenField):
    """Where the processor sends the payer back: a path on the app's own site, or nothing."""

    def process_formdata(self, valuelist):
        self.data = safe_next(valuelist[0] if valuelist else None, "")


class CardForm(FlaskForm):
    DEPENDS = {"exp_year": ("exp_month",), "cvc": ("number",)}

    number = UnechoedField("Card number", validators=[Rule(_card_number)])
    exp_month = StringField("Expiry month", validators=[Rule(lambda _f, v: str(rules.check_expiry_month(v)))])
    exp_year = StringField("Expiry year", validators=[Rule(_expiry_year)])
    cvc = UnechoedField("Security code", validators=[Rule(_cvc)])
    name = StringField("Name on the card", validators=[Rule(lambda _f, v: sandbox.judge_holder(v, "Name on the card"))])
    return_to = ReturnTo()


def _branch(field_name: str):
    return Rule(lambda _form, value: sandbox.judge_branch(field_name, value))


def _pad_ticked(_form, field):
    if not field.data:
        raise StopValidation(sandbox.MANDATE_REFUSED["pad_agreement"])


class BankForm(FlaskForm):
    """A US account (routing number; submitting accepts the ACH authorization) or a Canadian one
    (institution and transit numbers; the PAD agreement ticked). `country` picks the fields."""

    country = HiddenField()
    routing_number = StringField("Routing number", validators=[_branch("routing_number")])
    institution_number = StringField("Institution number", validators=[_branch("institution_number")])
    transit_number = StringField("Transit number", validators=[_branch("transit_number")])
    account_number = UnechoedField("Account number",
                                   validators=[Rule(lambda form, v: sandbox.judge_account(v, form.country_code)[0])])
    account_holder = StringField("Account holder",
                                 validators=[Rule(lambda _f, v: sandbox.judge_holder(v, "Account holder"))])
    pad_agreement = BooleanField("I agree to the pre-authorized debit agreement above", validators=[_pad_ticked])
    return_to = ReturnTo()

    def __init__(self, *args, country: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.country_code = country
        self.country.data = country
        for name in ("routing_number", "institution_number", "transit_number"):
            if name not in sandbox.BRANCH_FIELDS[country]:
                delattr(self, name)
        if country != "CA":
            delattr(self, "pad_agreement")

    @property
    def mandate_text(self) -> str:
        return sandbox.MANDATES[self.country_code]


def bank_country(value: str | None) -> str:
    """The bank form's country: "CA" when asked for, else "US"."""
    return "CA" if (value or "").strip().upper() == "CA" else "US"
