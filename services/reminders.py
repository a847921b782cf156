"""A partner's reminder schedule: its steps (made on first use, from DEFAULT_STEPS), their
templates, and who is left out (a customer turned off, or every customer with a tag turned off).

Templates are Jinja, rendered in a sandbox that knows only VARIABLES (an unknown name, an
attribute of one, a filter that fails: all refused when the template is saved, by the field).
A subject must render starting with "Reminder:" and naming the invoice's number; the rule is
checked on save (validation, not a silent prefix), so the partner sees the subject as sent.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import delete, select

from extensions import db, insert_or_else
from models import (
    Customer,
    Invoice,
    ReminderDelivery,
    ReminderStep,
    reminders_off_customers,
    reminders_off_tags,
)
from models.automation import SUBJECT_TEMPLATE_MAX
from services.errors import DomainError
from tenancy import scoped

VARIABLES = ("invoice_number", "amount", "due_date", "portal_link")
SUBJECT_PREFIX = "Reminder:"
# What a template is tried with when it is saved: the shapes of the real values.
SAMPLE = {"invoice_number": "INV-0042", "amount": "$1,234.50", "due_date": "March 15, 2027",
          "portal_link": "https://ar.example.com/portal/invoices/42"}

_BODY = ("Hello,\n\n{lead}\n\nYou can see it and pay it here:\n{{{{ portal_link }}}}\n\n"
         "If you have already paid, thank you, and please disregard this reminder.")
DEFAULT_STEPS = (
    (-3, "Reminder: {{ invoice_number }} is due on {{ due_date }}",
     "Invoice {{ invoice_number }} for {{ amount }} is due on {{ due_date }}."),
    (0, "Reminder: {{ invoice_number }} is due today",
     "Invoice {{ invoice_number }} for {{ amount }} is due today, {{ due_date }}."),
    (7, "Reminder: {{ invoice_number }} is overdue",
     "Invoice {{ invoice_number }} for {{ amount }} was due on {{ due_date }} and is now overdue."),
    (14, "Reminder: {{ invoice_number }} is two weeks overdue",
     "Invoice {{ invoice_number }} for {{ amount }} was due on {{ due_date }}: it is two weeks overdue."),
)


def _environment() -> SandboxedEnvironment:
    environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    environment.globals.clear()  # no range, lipsum, dict, cycler…: only the named variables
    return environment


_SANDBOX = _environment()
_compiled = lru_cache(maxsize=256)(_SANDBOX.from_string)  # a pass fills one step's template thousands of times


class TemplateRefused(DomainError):
    """A template that does not render, or a subject that breaks the subject's rule."""


def render(text: str, values: dict[str, str]) -> str:
    """The template rendered with `values` (VARIABLES only); TemplateRefused if it cannot be."""
    try:
        return _compiled(text).render(**{name: values[name] for name in VARIABLES})
    except TemplateError as error:
        raise TemplateRefused(f"This template cannot be filled in: {error.message or error}") from None
    except Exception as error:  # a sandboxed expression that fails (1/0, a huge repeat)
        raise TemplateRefused(f"This template cannot be filled in: {error}") from None


def check_subject(text: str) -> str:
    """The subject template as saved, or TemplateRefused with the message for its field."""
    if not text.strip():
        raise TemplateRefused("Enter a subject", field="subject_template")
    if len(text) > SUBJECT_TEMPLATE_MAX:
        raise TemplateRefused(f"The subject must be {SUBJECT_TEMPLATE_MAX} characters or fewer")
    rendered = render(text, SAMPLE)
    if not rendered.startswith(SUBJECT_PREFIX) or SAMPLE["invoice_number"] not in rendered:
        raise TemplateRefused("The subject must start with “Reminder:” and name the invoice with "
                              "{{ invoice_number }}")
    if "\n" in rendered or "\r" in rendered:
        raise TemplateRefused("The subject must fit on one line")
    return text.strip()


def check_body(text: str) -> str:
    if not text.strip():
        raise TemplateRefused("Enter the text of the reminder")
    render(text, SAMPLE)
    return text.strip()


# -- the schedule -------------------------------------------------------------------------


def _default_rows(partner_id: int) -> list[dict]:
    return [{"partner_id": partner_id, "position": position, "offset_days": offset, "enabled": True,
             "subject_template": subject, "body_template": _BODY.format(lead=lead)}
            for position, (offset, subject, lead) in enumerate(DEFAULT_STEPS, start=1)]


def ensure_steps(partner_ids: list[int]) -> None:
    """Give each partner without a schedule the default one (insert-or-skip on (partner, position),
    so passes and pages racing to make it make it once). Made on first use, not at partner
    creation: partners made before this feature, by the CLI or by the seed get it alike."""
    if not partner_ids:
        return
    rows = [row for partner_id in partner_ids for row in _default_rows(partner_id)]
    db.session.execute(insert_or_else(ReminderStep).on_conflict_do_nothing(
        index_elements=["partner_id", "position"]), rows)


def schedule(partner_id: int) -> list[ReminderStep]:
    """The partner's steps in order, for reading: the defaults, unsaved, if it has none yet
    (a page's GET writes nothing)."""
    found = list(db.session.scalars(scoped(ReminderStep, partner_id).order_by(ReminderStep.position)))
    return found or [ReminderStep(**row) for row in _default_rows(partner_id)]


def steps(partner_id: int) -> list[ReminderStep]:
    """The partner's steps in order (the defaults, made now, if it has none yet)."""
    found = list(db.session.scalars(scoped(ReminderStep, partner_id).order_by(ReminderStep.position)))
    if found:
        return found
    ensure_steps([partner_id])
    db.session.flush()
    return list(db.session.scalars(scoped(ReminderStep, partner_id).order_by(ReminderStep.position)))


@dataclass(frozen=True)
class StepValues:
    offset_days: int
    enabled: bool
    subject_template: str
    body_template: str


def update_steps(partner_id: int, values: list[StepValues]) -> None:
    """Save the schedule's steps (the form has checked each template and offset)."""
    for step, new in zip(steps(partner_id), values, strict=True):
        step.offset_days, step.enabled = new.offset_days, new.enabled
        step.subject_template, step.body_template = check_subject(new.subject_template), check_body(new.body_template)
    db.session.flush()


def step_moment(due_date: date, offset_days: int, zone: ZoneInfo) -> datetime:
    """When a step is due: 00:00 of its date on the partner's calendar, as a naive UTC time."""
    local = datetime.combine(due_date + timedelta(days=offset_days), time(0), tzinfo=zone)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


# -- who is left out ------------------------------------------------------------------------


def off_tag_ids(partner_id: int) -> set[int]:
    return set(db.session.scalars(select(reminders_off_tags.c.tag_id)
                                  .where(reminders_off_tags.c.partner_id == partner_id)))


def set_off_tags(partner_id: int, tag_ids: set[int]) -> None:
    """Turn reminders off for every customer with these tags (the partner's own: the form offers
    only those), and on again for every other tag."""
    table = reminders_off_tags
    db.session.execute(delete(table).where(table.c.partner_id == partner_id, table.c.tag_id.not_in(tag_ids)))
    if tag_ids:
        db.session.execute(insert_or_else(table).on_conflict_do_nothing(index_elements=["tag_id"]),
                           [{"partner_id": partner_id, "tag_id": tag_id} for tag_id in sorted(tag_ids)])


def is_off_for(customer: Customer) -> bool:
    return is_listed(reminders_off_customers, customer)


def turn_customer(customer: Customer, *, on: bool) -> None:
    """Reminders on or off for one customer (its Invoices tab). Turned back on, a step that fell
    due while off may still go, within the window, as a missed pass's would."""
    switch_customer(reminders_off_customers, customer, listed=not on)


def switch_customer(table, customer: Customer, *, listed: bool) -> None:
    """Put the customer in, or take it out of, one of automation's customer lists
    (models.automation._customer_list: reminders off, summaries left out)."""
    if listed:
        db.session.execute(insert_or_else(table).on_conflict_do_nothing(index_elements=["customer_id"]),
                           [{"partner_id": customer.partner_id, "customer_id": customer.id}])
    else:
        db.session.execute(delete(table).where(table.c.partner_id == customer.partner_id,
                                               table.c.customer_id == customer.id))


def listed_customers(table, partner_id: int) -> list[Customer]:
    """The customers in one of automation's customer lists, by company."""
    return list(db.session.scalars(
        scoped(Customer, partner_id).join(table, table.c.customer_id == Customer.id).order_by(Customer.company_sort)))


def is_listed(table, customer: Customer) -> bool:
    return db.session.scalar(select(table.c.customer_id).where(
        table.c.partner_id == customer.partner_id, table.c.customer_id == customer.id)) is not None


def customers_off(partner_id: int) -> list[Customer]:
    """The customers whose reminders are turned off one by one, by company."""
    return listed_customers(reminders_off_customers, partner_id)


# -- what a customer's page shows -------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceReminders:
    invoice_id: int
    number: str
    sent: list[datetime]  # when each reminder went (UTC)
    next_at: datetime | None  # the next step's moment (UTC), if one is left


def for_customer(customer: Customer, zone: ZoneInfo, now: datetime) -> list[InvoiceReminders]:
    """Per open invoice of the customer: the reminders sent and the next step due (three
    queries, whatever the number of invoices). now: naive UTC."""
    partner_id = customer.partner_id
    invoices = list(db.session.execute(
        scoped(Invoice, partner_id, Invoice.id, Invoice.number, Invoice.due_date)
        .where(Invoice.customer_id == customer.id, Invoice.status == "open", Invoice.total > Invoice.amount_paid)
        .order_by(Invoice.due_date, Invoice.id)))
    if not invoices:
        return []
    enabled = [step for step in schedule(partner_id) if step.enabled]
    done: dict[int, list[ReminderDelivery]] = {}
    for row in db.session.scalars(scoped(ReminderDelivery, partner_id).where(
            ReminderDelivery.invoice_id.in_([invoice.id for invoice in invoices])).order_by(ReminderDelivery.step_at)):
        done.setdefault(row.invoice_id, []).append(row)
    shown = []
    for invoice in invoices:
        rows = done.get(invoice.id, [])
        recorded = {row.step_id for row in rows}
        upcoming = sorted(moment for step in enabled if step.id not in recorded
                          and (moment := step_moment(invoice.due_date, step.offset_days, zone)) > now)
        shown.append(InvoiceReminders(invoice.id, invoice.number,
                                      [row.recorded_at for row in rows if row.outcome == "sent"],
                                      upcoming[0] if upcoming else None))
    return shown
