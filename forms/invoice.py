"""The invoice form (new and edit draft), its lines, and the void form.

The rules are forms.rules' (amounts, quantities, rates and dates read from their text);
a blur check, Save, Finalize and the API's drafts run them through these classes alike.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Form, FormField, HiddenField, StringField, TextAreaField
from wtforms.validators import ValidationError

import money
from forms import rules
from forms.customer import Rule, text_rule
from models.invoice import DESCRIPTION_MAX, MEMO_MAX, VOID_REASON_MAX
from request_input import RowList, int_value
from services.errors import DomainError, InvalidFields
from services.invoices import DraftValues, DueBeforeIssue, LineValues

MAX_LINES = 100
LINE_AMOUNT_TOO_LARGE = "The line's amount must be 99,999,999.99 or less: lower the quantity or the unit price"


def _typed(field) -> str:
    """The field's text as posted (or as the form was filled), before any rule normalized it."""
    if field.raw_data:
        return field.raw_data[0]
    return field.data if isinstance(field.data, str) else ""


class AmountField(StringField):
    """Typed in the currency's units; once its rule has read it, its data is cents, shown
    back as units ("1,234.50"), so a blur check never turns 1,234.50 into 123450."""

    def _value(self) -> str:
        return money.plain_amount(self.data) if isinstance(self.data, int) else super()._value()


class LineForm(Form):
    """One line: description, quantity, unit price (currency units), tax rate (percent, optional)."""

    description = StringField("Description", validators=[
        text_rule("Description", DESCRIPTION_MAX, required=True, required_message="Enter the description"),
    ])
    quantity = StringField("Quantity", default="1", validators=[Rule(lambda _f, v: rules.parse_quantity(v))])
    unit_price = AmountField("Unit price", validators=[
        Rule(lambda _f, v: rules.parse_amount(v, label="Unit price")),
    ])
    tax_rate = StringField("Tax %", validators=[Rule(lambda _f, v: rules.parse_tax_rate(v))])

    def validate_unit_price(self, field):
        if self.quantity.errors or field.errors or field.data is None:
            return
        if money.line_amount(self.quantity.data, field.data) > rules.AMOUNT_MAX:
            raise ValidationError(LINE_AMOUNT_TOO_LARGE)

    def values(self) -> LineValues:
        return LineValues(self.description.data, self.quantity.data, self.unit_price.data, self.tax_rate.data)

    def figured(self) -> money.LineMoney | None:
        """This line's amount and tax as typed so far, or None while quantity or price is not right."""
        try:
            quantity = rules.parse_quantity(_typed(self.quantity))
            price = rules.parse_amount(_typed(self.unit_price))
            rate = rules.parse_tax_rate(_typed(self.tax_rate))
        except rules.RuleError:
            return None
        return money.line_money(quantity, price, rate)


def _after_issue(form, value):
    due = rules.parse_date(value, label="Due date")
    if not form.issue_date.errors and isinstance(form.issue_date.data, date) and due < form.issue_date.data:
        raise rules.RuleError(DueBeforeIssue.message)
    return due


@dataclass(frozen=True)
class Preview:
    """What the form's totals show as the partner types: each line's figures (None while not
    yet right) and the sums of the lines that are."""

    lines: list[money.LineMoney | None]
    totals: money.Totals


class InvoiceForm(FlaskForm):
    """A draft's fields. version: the draft's version the edit form started from (optional)."""

    DEPENDS = {"due_date": ("issue_date",)}
    FIELDS = ("issue_date", "due_date", "memo")

    issue_date = StringField("Issue date", validators=[Rule(lambda _f, v: rules.parse_date(v, label="Issue date"))])
    due_date = StringField("Due date", validators=[Rule(_after_issue)])
    memo = TextAreaField("Memo", validators=[
        Rule(lambda _f, v: rules.clean_paragraphs(v, label="Memo", max_length=MEMO_MAX)),
    ])
    version = HiddenField()
    lines = RowList(FormField(LineForm), min_entries=1, max_entries=MAX_LINES)

    def expected_version(self) -> int | None:
        return int_value(self.version.data or None, low=1)

    def cleaned(self) -> DraftValues:
        return DraftValues(self.issue_date.data, self.due_date.data, self.memo.data or "",
                           [entry.form.values() for entry in self.lines.entries])

    def preview(self) -> Preview:
        figured = [entry.form.figured() for entry in self.lines.entries]
        return Preview(figured, money.totals(line for line in figured if line is not None))


class VoidForm(FlaskForm):
    reason = StringField("Reason", validators=[
        text_rule("Reason", VOID_REASON_MAX, required=True, required_message="Enter the reason for voiding"),
    ])



LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate")


def lines_field(index: int, name: str) -> str:
    """How a line's field is named outside the page's form (the API's `param`, an import's column)."""
    return f"lines[{index}].{name}"


def judge_draft(values: Mapping) -> DraftValues:
    """A draft's values given as text (an API request, an import row: `issue_date`, `due_date`,
    `memo`, and `lines` of `description`, `quantity`, `unit_price` in the currency's units,
    `tax_rate`), judged by the very form the dashboard's Save and Finalize run. Raises
    InvalidFields naming every refused field."""
    lines = values.get("lines") or []
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidFields([DomainError(f"Add between 1 and {MAX_LINES} lines", field="lines")])
    data = MultiDict({name: values.get(name) or "" for name in InvoiceForm.FIELDS})
    for index, line in enumerate(lines):
        for name in LINE_FIELDS:
            data[f"lines-{index}-{name}"] = line.get(name) or ""
    form = InvoiceForm(formdata=data, meta={"csrf": False})
    if form.validate():
        return form.cleaned()
    errors = [DomainError(form[name].errors[0], field=name) for name in InvoiceForm.FIELDS if form[name].errors]
    for index, entry in enumerate(form.lines.entries):
        errors += [DomainError(entry.form[name].errors[0], field=lines_field(index, name))
                   for name in LINE_FIELDS if entry.form[name].errors]
    raise InvalidFields(errors or [DomainError()])
