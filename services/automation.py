"""One automation pass as of a moment: the reminders (and later kinds) due then, each at most once.

A pass works partner by partner, on the partner's calendar (its time zone): a step is due from
00:00 of its date there. It sends what a missed pass would have sent (the server was down) but
never a step whose moment is more than the window (AUTOMATION_WINDOW_DAYS) old, and never two
steps of one invoice at once: the latest due step goes, the earlier ones are recorded as skipped.

Exactly once: each (invoice, step) is one row of reminder_deliveries, inserted with ON CONFLICT
DO NOTHING in the transaction that queues its emails; only the rows this pass inserted get
emails. Several passes at once (several hosts) meet at that unique key: on PostgreSQL the
second waits for the first's transaction and then skips its rows. Rows are inserted in
(invoice, step) order, so two passes never wait on each other in a circle.

Invoices go in batches of BATCH, one transaction each, read again inside it (the re-check: still
open, total above zero, a balance left); the emails are queued due at once, whatever `at` is.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import insert, select

import money
from extensions import db, insert_or_else
from mailer import email_rows
from models import (
    Customer,
    CustomerUser,
    Invoice,
    InvoiceSend,
    OutboxEmail,
    Partner,
    ReminderDelivery,
    ReminderStep,
    SummaryDelivery,
    customer_tags,
    reminders_off_customers,
    reminders_off_tags,
    summary_excluded_customers,
)
from services import auto_pay, reminders, summaries
from services.invoice_sending import portal_link
from templating import format_day as show_date
from tenancy import scoped
from unit_of_work import unit_of_work

BATCH = 1000
MANUAL_SEND_BEFORE = timedelta(hours=24)  # a Send by hand this long before a step's moment makes it


@dataclass
class Counts:
    """What a pass did, per kind ("12 reminders (30 emails), ...")."""

    queued: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    emails: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    recorded: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def line(self, at: datetime) -> str:
        kinds = ", ".join(f"{count} {kind} ({self.emails[kind]} emails)" for kind, count in sorted(self.queued.items()))
        noted = ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.recorded.items()))
        return (f"Automation pass as of {at.isoformat()}: queued {kinds or 'nothing'}"
                + (f"; recorded without sending: {noted}" if noted else "") + ".")


@dataclass(frozen=True)
class Decision:
    invoice_id: int
    step_id: int
    outcome: str  # sent, skipped, manual, no_users
    step_at: datetime


def run_pass(at: datetime, *, window: timedelta | None = None) -> Counts:
    """Everything due as of `at` (an aware moment). Commits per batch; safe to run in parallel."""
    at_utc = at.astimezone(UTC).replace(tzinfo=None)
    window = window if window is not None else timedelta(days=current_app.config["AUTOMATION_WINDOW_DAYS"])
    counts = Counts()
    with unit_of_work():
        partner_ids = list(db.session.scalars(select(Invoice.partner_id).where(Invoice.status == "open").distinct()))
        without = set(partner_ids) - set(db.session.scalars(
            select(ReminderStep.partner_id).where(ReminderStep.partner_id.in_(partner_ids)).distinct()))
        reminders.ensure_steps(sorted(without))
    for partner_id in sorted(partner_ids):
        _remind(db.session.get(Partner, partner_id), at_utc, window, counts)
    for partner_id, period, start in [(s.partner_id, s.period, s.start_date) for s in summaries.scheduled_partners()]:
        _summarize(db.session.get(Partner, partner_id), period, start, at_utc, window, counts)
    with unit_of_work():
        auto_paying = auto_pay.partners_with_rules()
    for partner_id in auto_paying:
        auto_pay.run(db.session.get(Partner, partner_id), at_utc, window, counts)
    return counts


# -- reminders ------------------------------------------------------------------------------


def _remind(partner: Partner, at: datetime, window: timedelta, counts: Counts) -> None:
    zone = ZoneInfo(partner.time_zone)
    schedule = list(db.session.scalars(scoped(ReminderStep, partner.id).where(ReminderStep.enabled)))
    if not schedule:
        return
    today = at.replace(tzinfo=UTC).astimezone(zone).date()
    oldest = (at - window).replace(tzinfo=UTC).astimezone(zone).date()
    offsets = [step.offset_days for step in schedule]
    # Due dates with a step due in the window; the exact moments are checked per invoice.
    first_due, last_due = oldest - timedelta(days=max(offsets)), today - timedelta(days=min(offsets))
    after = 0
    while True:
        with unit_of_work():
            rows = db.session.execute(_open_invoices(partner.id, first_due, last_due, after)).all()
            if not rows:
                return
            after = rows[-1].id
            _remind_batch(partner, zone, schedule, rows, at, window, counts)


def _open_invoices(partner_id: int, first_due, last_due, after: int):
    """The re-check, inside the batch's transaction: open, above zero, a balance left, and the
    customer not left out (by itself or by a tag)."""
    off_customers = select(reminders_off_customers.c.customer_id).where(
        reminders_off_customers.c.partner_id == partner_id)
    off_by_tag = select(customer_tags.c.customer_id).where(
        customer_tags.c.partner_id == partner_id,
        customer_tags.c.tag_id.in_(select(reminders_off_tags.c.tag_id)
                                   .where(reminders_off_tags.c.partner_id == partner_id)))
    return (scoped(Invoice, partner_id, Invoice.id, Invoice.customer_id, Invoice.number, Invoice.due_date,
                   Invoice.total, Invoice.amount_paid, Invoice.currency, Invoice.finalized_at)
            .where(Invoice.status == "open", Invoice.total > 0, Invoice.total > Invoice.amount_paid,
                   Invoice.due_date.between(first_due, last_due), Invoice.id > after,
                   Invoice.customer_id.not_in(off_customers), Invoice.customer_id.not_in(off_by_tag))
            .order_by(Invoice.id).limit(BATCH))


def _remind_batch(partner, zone, schedule, rows, at, window, counts) -> None:
    ids = [row.id for row in rows]
    recorded: dict[int, dict[int, datetime]] = defaultdict(dict)
    for invoice_id, step_id, step_at in db.session.execute(
            scoped(ReminderDelivery, partner.id, ReminderDelivery.invoice_id, ReminderDelivery.step_id,
                   ReminderDelivery.step_at).where(ReminderDelivery.invoice_id.in_(ids))):
        recorded[invoice_id][step_id] = step_at
    manual: dict[int, list[datetime]] = defaultdict(list)
    for invoice_id, sent_at in db.session.execute(
            scoped(InvoiceSend, partner.id, InvoiceSend.invoice_id, InvoiceSend.sent_at)
            .where(InvoiceSend.invoice_id.in_(ids), InvoiceSend.sent_at >= at - window - MANUAL_SEND_BEFORE)):
        manual[invoice_id].append(sent_at)
    users: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for customer_id, name, email in db.session.execute(
            select(CustomerUser.customer_id, CustomerUser.name, CustomerUser.email)
            .where(CustomerUser.customer_id.in_({row.customer_id for row in rows}))
            .order_by(CustomerUser.id)):
        users[customer_id].append((name, email))

    decisions = [decision for row in rows
                 for decision in _decide(row, schedule, zone, at, window, recorded[row.id], manual[row.id],
                                         bool(users[row.customer_id]))]
    if not decisions:
        return
    decisions.sort(key=lambda d: (d.invoice_id, d.step_id))
    by_id = {row.id: row for row in rows}
    mine = _record(ReminderDelivery, ("invoice_id", "step_id"), [
        {"partner_id": partner.id, "invoice_id": d.invoice_id, "step_id": d.step_id, "outcome": d.outcome,
         "step_at": d.step_at, "recorded_at": at,
         "recipients": len(users[by_id[d.invoice_id].customer_id]) if d.outcome == "sent" else 0}
        for d in decisions])
    steps = {step.id: step for step in schedule}
    emails = []
    for d in decisions:
        if (d.invoice_id, d.step_id) not in mine:
            continue  # another pass got there first
        if d.outcome != "sent":
            counts.recorded[d.outcome] += 1
            continue
        row = by_id[d.invoice_id]
        emails += _reminder_emails(partner, steps[d.step_id], row, users[row.customer_id])
        counts.queued["reminders"] += 1
    _queue(emails)
    counts.emails["reminders"] += len(emails)


def _decide(row, schedule, zone, at, window, recorded: dict[int, datetime], sends: list[datetime],
            has_users: bool) -> list[Decision]:
    """What becomes of each step of one invoice not yet recorded: the latest one due within the
    window is sent (or recorded as made by a manual Send, or as having no one to go to); the
    earlier ones are skipped, as is a step that fell due before the invoice was issued."""
    latest_recorded = max(recorded.values(), default=None)
    due = sorted((moment, step.id) for step in schedule if step.id not in recorded
                 and at - window <= (moment := reminders.step_moment(row.due_date, step.offset_days, zone)) <= at)
    if not due:
        return []
    issued = row.finalized_at or datetime.min
    decisions = [Decision(row.id, step_id, "skipped", moment) for moment, step_id in due[:-1]]
    moment, step_id = due[-1]
    if moment < issued or (latest_recorded is not None and moment <= latest_recorded):
        outcome = "skipped"
    elif any(moment - MANUAL_SEND_BEFORE <= sent <= at for sent in sends):
        outcome = "manual"
    else:
        outcome = "sent" if has_users else "no_users"
    return [*decisions, Decision(row.id, step_id, outcome, moment)]


def _reminder_emails(partner, step, row, recipients) -> list:
    values = {"invoice_number": row.number, "due_date": show_date(row.due_date, partner.locale),
              "portal_link": portal_link(row),
              "amount": money.format_money(row.total - row.amount_paid, row.currency, partner.locale)}
    subject = reminders.render(step.subject_template, values)
    body = reminders.render(step.body_template, values)
    text = _render("email/reminder.txt", body=body, partner=partner)
    paragraphs = [part.splitlines() for part in body.split("\n\n") if part.strip()]
    html = _render("email/reminder.html", paragraphs=paragraphs, partner=partner,
                   link=values["portal_link"], number=row.number)
    return email_rows(to=[email for _name, email in recipients], subject=subject, text=text, html=html,
                      ref=f"reminder:{row.id}")


def _render(template: str, **context) -> str:
    """An email's template filled in: Jinja alone, without render_template's request context
    processors and signals (an email uses neither), which cost as much again per email."""
    return current_app.jinja_env.get_template(template).render(**context)


def _record(ledger, key: tuple[str, ...], rows: list[dict]) -> set[tuple]:
    """Insert-or-skip a batch's rows into a ledger (unique on `key`), in the order given, as one
    executemany (SQLAlchemy sends multi-row INSERTs; a VALUES list built per batch cost more than
    the insert); the keys of the rows this pass inserted, the only ones that get emails."""
    return {tuple(row) for row in db.session.execute(
        insert_or_else(ledger).on_conflict_do_nothing(index_elements=list(key))
        .returning(*(getattr(ledger, column) for column in key)), rows)}


def _queue(emails: list[dict]) -> None:
    """A batch's emails (mailer.email_rows), in its transaction, as one executemany: no ORM object each."""
    if emails:
        db.session.execute(insert(OutboxEmail), emails)


# -- summaries ------------------------------------------------------------------------------


def _summarize(partner: Partner, period: str, start, at: datetime, window: timedelta, counts: Counts) -> None:
    """One summary per customer with an open balance for the current period, if it began
    within the window; customers in batches, each batch one transaction."""
    zone = ZoneInfo(partner.time_zone)
    first = summaries.period_start(period, start, at.replace(tzinfo=UTC).astimezone(zone).date())
    if first is None or at - reminders.step_moment(first, 0, zone) > window:
        return
    after = 0
    while True:
        with unit_of_work():
            sent = select(SummaryDelivery.customer_id).where(SummaryDelivery.partner_id == partner.id,
                                                             SummaryDelivery.period_start == first)
            left_out = select(summary_excluded_customers.c.customer_id).where(
                summary_excluded_customers.c.partner_id == partner.id)
            ids = list(db.session.scalars(
                scoped(Invoice, partner.id, Invoice.customer_id).distinct()
                .where(Invoice.status == "open", Invoice.total > Invoice.amount_paid, Invoice.customer_id > after,
                       Invoice.customer_id.not_in(sent), Invoice.customer_id.not_in(left_out))
                .order_by(Invoice.customer_id).limit(BATCH)))
            if not ids:
                return
            after = ids[-1]
            _summary_batch(partner, first, ids, at, counts)


def _summary_batch(partner: Partner, first, ids: list[int], at: datetime, counts: Counts) -> None:
    users: dict[int, list[str]] = defaultdict(list)
    for customer_id, email in db.session.execute(
            select(CustomerUser.customer_id, CustomerUser.email).where(CustomerUser.customer_id.in_(ids))
            .order_by(CustomerUser.id)):
        users[customer_id].append(email)
    mine = {customer_id for customer_id, _first in _record(SummaryDelivery, ("customer_id", "period_start"), [
        {"partner_id": partner.id, "customer_id": customer_id, "period_start": first, "recorded_at": at,
         "recipients": len(users[customer_id])} for customer_id in ids])}
    owed: dict[int, list] = defaultdict(list)
    for row in db.session.execute(
            scoped(Invoice, partner.id, Invoice.id, Invoice.customer_id, Invoice.number, Invoice.due_date,
                   Invoice.total, Invoice.amount_paid, Invoice.currency)
            .where(Invoice.customer_id.in_(mine), Invoice.status == "open", Invoice.total > Invoice.amount_paid)
            .order_by(Invoice.due_date, Invoice.id)):
        owed[row.customer_id].append(row)
    companies = dict(db.session.execute(scoped(Customer, partner.id, Customer.id, Customer.company)
                                        .where(Customer.id.in_(mine))).all())
    emails = []
    for customer_id in sorted(mine):
        invoices = owed[customer_id]
        if not users[customer_id] or not invoices:
            continue
        currency = invoices[0].currency
        total = money.format_money(sum(i.total - i.amount_paid for i in invoices), currency, partner.locale)
        lines = [{"number": i.number, "due_date": show_date(i.due_date), "link": portal_link(i),
                  "balance": money.format_money(i.total - i.amount_paid, currency, partner.locale)} for i in invoices]
        context = dict(partner=partner, company=companies[customer_id], invoices=lines, total=total,
                       as_of=show_date(first), pay_link=f"{current_app.config['BASE_URL']}/portal/pay")
        subject = f"Your open invoices with {partner.name}: {total} as of {context['as_of']}"
        text = _render("email/summary.txt", **context)
        html = _render("email/summary.html", **context)
        emails += email_rows(to=users[customer_id], subject=subject, text=text, html=html,
                             ref=f"summary:{customer_id}")
        counts.queued["summaries"] += 1
    _queue(emails)
    counts.emails["summaries"] += len(emails)
