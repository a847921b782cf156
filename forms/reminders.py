"""Automation's forms: the reminder schedule (/settings/reminders): each step's day, subject and text,
judged by services.reminders' rules (the sandbox renders each template before it is saved)."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from extensions import db
from forms import rules
from models import Customer
from models.automation import AUTO_PAY_SCOPES, OFFSET_MAX, OFFSET_MIN, PERIODS, RETRIES_MAX
from request_input import int_value
from services import reminders
from services.reminders import TemplateRefused
from tenancy import customers


def _judged(rule):
    def validate(_form, field):
        try:
            field.data = rule(field.data or "")
        except TemplateRefused as refused:
            raise ValidationError(refused.message) from None
    return validate


def _offset_days(_form, field):
    """Days from the due date, negative before it (a reminder step's, an auto-pay rule's)."""
    text = (field.data or "").strip()
    negative = text.startswith("-")
    days = int_value(text[1:] if negative else text, high=max(-OFFSET_MIN, OFFSET_MAX))
    if days is None or not OFFSET_MIN <= (days := -days if negative else days) <= OFFSET_MAX:
        raise ValidationError(f"Enter a whole number of days from {OFFSET_MIN} to {OFFSET_MAX}, like -3 or 7")
    field.data = days


class StepForm(Form):
    enabled = BooleanField("Send this reminder")
    offset_days = StringField("Days from the due date")
    subject_template = StringField("Subject", validators=[_judged(reminders.check_subject)])
    body_template = TextAreaField("Text", validators=[_judged(reminders.check_body)])

    def validate_offset_days(self, field):
        _offset_days(self, field)


class ReminderScheduleForm(FlaskForm):
    steps = FieldList(FormField(StepForm), min_entries=len(reminders.DEFAULT_STEPS),
                      max_entries=len(reminders.DEFAULT_STEPS))
    off_tags = SelectMultipleField("No reminders to customers tagged", coerce=int,
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())

    def validate_steps(self, field):
        offsets = [entry.form.offset_days.data for entry in field.entries if entry.form.enabled.data]
        for entry in field.entries:
            days = entry.form.offset_days.data
            if entry.form.enabled.data and isinstance(days, int) and offsets.count(days) > 1:
                entry.form.offset_days.errors.append("Another reminder is on this day: choose a different one")
                raise ValidationError("Two reminders are on the same day")

    def values(self) -> list[reminders.StepValues]:
        return [reminders.StepValues(entry.form.offset_days.data, entry.form.enabled.data,
                                     entry.form.subject_template.data, entry.form.body_template.data)
                for entry in self.steps.entries]


class SummaryScheduleForm(FlaskForm):
    """/settings/summaries: whether, how often and from when customers get their summary."""

    enabled = BooleanField("Send invoice summaries")
    period = StringField("How often")  # radio buttons (the template draws them): weekly or monthly
    start_date = StringField("From")

    def validate_period(self, field):
        if field.data not in PERIODS:
            raise ValidationError("Choose every week or every month")

    def validate_start_date(self, field):
        try:
            field.data = rules.parse_date(field.data, label="Start date")
        except rules.RuleError as error:
            raise ValidationError(str(error)) from None


class AutoPayRuleForm(FlaskForm):
    """/settings/auto-pay: a rule, new or edited: whose invoices, on which day, how many retries."""

    scope = StringField("Whose invoices")  # radio buttons (the template draws them): customer, tag or all
    customer_id = StringField("Customer")  # the customer picker (templates/_customer_picker.html)
    tag_id = StringField("Tag")  # a select of `tags`
    offset_days = StringField("Days from the due date", default="0", validators=[_offset_days])
    max_retries = StringField("Retries after a decline", default="2")

    def __init__(self, *args, partner_id: int, tags: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.partner_id = partner_id
        self.tags = tags  # the partner's (id, name): a select's choices

    def validate_scope(self, field):
        if field.data not in AUTO_PAY_SCOPES:
            raise ValidationError("Choose one customer, customers with a tag, or every customer")

    def _chosen(self, field, scope: str, known, message: str):
        if self.scope.data != scope:
            field.data = None
            return
        field.data = int_value((field.data or "").strip(), low=1)
        if field.data is None or not known(field.data):
            raise ValidationError(message)

    def validate_customer_id(self, field):
        self._chosen(field, "customer", self._active_customer, "Choose the customer")

    def validate_tag_id(self, field):
        self._chosen(field, "tag", lambda tag_id: tag_id in dict(self.tags), "Choose the tag")

    def _active_customer(self, customer_id: int) -> bool:
        return db.session.scalar(customers(self.partner_id, Customer.id).where(
            Customer.id == customer_id, Customer.archived_at.is_(None))) is not None

    def validate_max_retries(self, field):
        retries = int_value((field.data or "").strip(), high=RETRIES_MAX)
        if retries is None:
            raise ValidationError(f"Enter a whole number of retries from 0 to {RETRIES_MAX}")
        field.data = retries
