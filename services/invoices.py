"""Invoices: drafts, finalize, void, and the status a page shows.

Services change and flush rows and never commit: a view (or a job, or the API) calls them
inside one unit_of_work(). Each takes the invoice already read through
tenancy.scoped(Invoice, partner_id) (or the customer through tenancy.customers), and
raises a DomainError with the message a page shows: a rule about a field (422, by the
field), or an action the invoice's state does not allow (409, NotAllowedNow).

Lifecycle: draft -> open -> paid | void. A draft is edited and deleted freely and has no
number. Finalizing gives the partner's next number (INV-0001, …) from invoice_counters,
raised in the same transaction, so a finalize that rolls back gives its number back; the
unique (partner_id, number) is the backstop. Open, paid and void invoices are never edited:
an open one is voided with a reason and issued again. Overdue (and, once payments exist,
Partially paid) are computed for display, never stored.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Select, bindparam, case, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.exc import StaleDataError

import money
from extensions import db
from forms.customer import judge_sync_key
from models import Customer, Invoice, InvoiceCounter, InvoiceLine, OpenBalanceByCustomer, OpenBalanceByDay, Partner
from models._time import utcnow
from models.invoice import invoice_number
from services.customers import Outcome, one_sync_at_a_time
from services.errors import Conflict, DomainError
from services.events import emit

# -- errors: each with its message -------------------------------------------------------


class NotAllowedNow(Conflict):
    """An action the invoice's state does not allow (a finalize of an open invoice, say): 409."""


class StaleInvoice(Conflict):
    message = "Someone else changed this invoice at the same time. Reload it and try again."


class DueDatePassed(DomainError):
    field = "due_date"
    message = "The due date has passed: choose today or a later date to finalize"


class NothingToBill(DomainError):
    message = "The total must be above zero to finalize: add a line with an amount"


class DueBeforeIssue(DomainError):
    field = "due_date"
    message = "The due date must be on or after the issue date"


# -- what a draft holds ------------------------------------------------------------------


@dataclass(frozen=True)
class LineValues:
    """One line as the form (or the API, or an import) read it: exact values, money in cents."""

    description: str
    quantity: Decimal
    unit_price: int  # cents
    tax_rate: Decimal | None = None  # percent

    @property
    def money(self) -> money.LineMoney:
        return money.line_money(self.quantity, self.unit_price, self.tax_rate)


@dataclass(frozen=True)
class DraftValues:
    issue_date: date
    due_date: date
    memo: str
    lines: Sequence[LineValues]


# -- the partner's clock and the customer's currency -----------------------------------------


def partner_today(partner: Partner, now: datetime | None = None) -> date:
    """Today on the partner's calendar (its time zone): "today" and "overdue" are the partner's.
    now: an aware moment (default: this one)."""
    return today_in(partner.time_zone, now)


def today_in(time_zone: str, now: datetime | None = None) -> date:
    """partner_today, given only the partner's time zone (tenancy.current_partner_time_zone)."""
    return (now or datetime.now(ZoneInfo("UTC"))).astimezone(ZoneInfo(time_zone)).date()


def customer_currency(customer: Customer) -> str:
    """The currency of the customer's invoices: that of its first invoice, once it has one
    (fixed, even if its country changes later), else its country's."""
    first = db.session.scalar(
        select(Invoice.currency)
        .where(Invoice.partner_id == customer.partner_id, Invoice.customer_id == customer.id)
        .order_by(Invoice.id).limit(1)
    )
    return first or money.currency_for_country(customer.country)


# -- drafts ------------------------------------------------------------------------------


def _check_dates(values: DraftValues) -> None:
    if values.due_date < values.issue_date:
        raise DueBeforeIssue()


def _write_lines(invoice: Invoice, lines: Sequence[LineValues]) -> None:
    """Replace the invoice's lines, with each line's rounded amount and tax, and its sums."""
    if invoice.lines:
        invoice.lines.clear()
        _flush()  # the old positions go before the new ones take them
    for position, line in enumerate(lines):
        figured = line.money
        invoice.lines.append(InvoiceLine(
            position=position, description=line.description, quantity=line.quantity,
            unit_price=line.unit_price, tax_rate=line.tax_rate, amount=figured.amount, tax=figured.tax,
        ))
    sums = money.totals(line.money for line in lines)
    invoice.subtotal, invoice.tax, invoice.total = sums.subtotal, sums.tax, sums.total


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleInvoice() from None


def create_draft(customer: Customer, values: DraftValues, *, staff_id: int | None, source: str | None = None,
                 external_id: str | None = None) -> Invoice:
    """A new draft for the customer (in the customer's currency); source and external_id: where a
    sync brought it from (upsert_invoice)."""
    _check_dates(values)
    invoice = Invoice(
        partner_id=customer.partner_id, customer_id=customer.id, currency=customer_currency(customer),
        issue_date=values.issue_date, due_date=values.due_date, memo=values.memo, created_by_id=staff_id,
        source=source, external_id=external_id,
    )
    db.session.add(invoice)
    _write_lines(invoice, values.lines)
    _flush()
    return invoice


def _require(invoice: Invoice, status: str, message: str) -> None:
    if invoice.status != status:
        raise NotAllowedNow(message)


def update_draft(invoice: Invoice, values: DraftValues, *, expected_version: int | None = None) -> Invoice:
    """Save a draft's new values; only over the version its form started from, when given."""
    _require(invoice, "draft", f"{_name(invoice)} is {invoice.status} and can no longer be edited")
    if expected_version is not None and invoice.version != expected_version:
        raise StaleInvoice()
    _check_dates(values)
    invoice.issue_date, invoice.due_date, invoice.memo = values.issue_date, values.due_date, values.memo
    _write_lines(invoice, values.lines)
    invoice.updated_at = utcnow()  # the version moves even when only lines changed
    _flush()
    return invoice


def delete_draft(invoice: Invoice) -> None:
    _require(invoice, "draft", f"{_name(invoice)} is {invoice.status}: only a draft can be deleted")
    db.session.delete(invoice)
    _flush()


# -- the sync's upsert --------------------------------------------------------------------


class OtherCustomersInvoice(DomainError):
    field = "customer"
    message = "This external ID is already an invoice of another customer"


def synced_invoice(partner_id: int, source: str, external_id: str) -> Invoice | None:
    """The partner's invoice a sync brought from `source` with this id there, if any."""
    return db.session.scalar(select(Invoice).where(
        Invoice.partner_id == partner_id, Invoice.source == source, Invoice.external_id == external_id))


def _same(invoice: Invoice, values: DraftValues) -> bool:
    return (invoice.issue_date, invoice.due_date, invoice.memo or "") == (
        values.issue_date, values.due_date, values.memo or "") and [
        (line.description, line.quantity, line.unit_price, line.tax_rate) for line in invoice.lines] == [
        (line.description, line.quantity, line.unit_price, line.tax_rate) for line in values.lines]


def upsert_invoice(customer: Customer, values: DraftValues, *, source: str | None, external_id: str | None,
                   staff_id: int | None, finalize_on: date | None = None) -> tuple[Invoice, Outcome]:
    """Create the customer's draft, or update the one (source, external_id) already names (a
    sync that runs again never makes a second one); then finalize it when finalize_on (the
    partner's today) is given. An invoice no longer a draft is left as it is when the values
    are its own, else NotAllowedNow (it can no longer be edited)."""
    source, external_id = judge_sync_key(source, external_id)
    existing = None
    if external_id:
        one_sync_at_a_time(customer.partner_id)
        existing = synced_invoice(customer.partner_id, source, external_id)
    if existing is None:
        invoice = create_draft(customer, values, staff_id=staff_id, source=source, external_id=external_id)
        outcome = "created"
    else:
        invoice, outcome = existing, "unchanged"
        if invoice.customer_id != customer.id:
            raise OtherCustomersInvoice()
        if not _same(invoice, values):
            update_draft(invoice, values)
            outcome = "updated"
    if finalize_on is not None and invoice.is_draft:
        finalize(invoice, today=finalize_on)
        outcome = "updated" if outcome == "unchanged" else outcome
    return invoice, outcome


# -- finalize and void -------------------------------------------------------------------


def _insert(model):
    """An INSERT that can say what to do on a conflict (ON CONFLICT), in the session's dialect."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)


def next_number(partner_id: int) -> str:
    """The partner's next invoice number, taken in the caller's transaction.

    The UPDATE … RETURNING holds the counter row's lock (as FOR UPDATE would) until the
    transaction ends: a concurrent finalize of the same partner waits, then reads the raised
    value; a rollback gives the number back. Partners never wait on each other."""
    db.session.execute(_insert(InvoiceCounter).values(partner_id=partner_id, last_number=0).on_conflict_do_nothing())
    sequence = db.session.scalar(
        update(InvoiceCounter).where(InvoiceCounter.partner_id == partner_id)
        .values(last_number=InvoiceCounter.last_number + 1).returning(InvoiceCounter.last_number)
    )
    return invoice_number(sequence)


def finalize(invoice: Invoice, *, today: date) -> Invoice:
    """Draft -> open with the next number. today: the partner's (partner_today).
    Sends nothing: sending is its own action."""
    _require(invoice, "draft", f"{_name(invoice)} is already {invoice.status}: only a draft can be finalized")
    if invoice.due_date < today:
        raise DueDatePassed()
    if invoice.total <= 0:
        raise NothingToBill()
    invoice.number = next_number(invoice.partner_id)
    invoice.status = "open"
    invoice.finalized_at = invoice.updated_at = utcnow()
    _flush()  # "WHERE version = …": of two finalizes of one draft, the second is a StaleInvoice
    balance_changed(invoice, 0)
    emit(invoice.partner_id, "invoice.finalized", invoice)
    return invoice


def ensure_voidable(invoice: Invoice) -> None:
    _require(invoice, "open", f"{_name(invoice)} is {invoice.status}: only an open invoice can be voided")
    if invoice.amount_paid:  # a void invoice owes nothing: what was paid would be nowhere
        raise NotAllowedNow(f"{_name(invoice)} has payments: refund them before voiding it")


def void(invoice: Invoice, reason: str) -> Invoice:
    """Open -> void, with the reason shown on the invoice. reason: already checked (forms.rules)."""
    ensure_voidable(invoice)
    old_balance = open_balance(invoice)
    invoice.status = "void"
    invoice.void_reason = reason
    invoice.voided_at = invoice.updated_at = utcnow()
    _flush()
    balance_changed(invoice, old_balance)
    emit(invoice.partner_id, "invoice.voided", invoice)
    return invoice


# -- the open balances kept for the Overview and the list's totals --------------------------


def open_balance(invoice: Invoice) -> int:
    """What an invoice adds to the partner's open balances, in cents: an open invoice's
    total less what was paid; nothing for a draft, a paid or a void invoice."""
    return invoice.total - invoice.amount_paid if invoice.status == "open" else 0


def balance_changed(invoice: Invoice, old_balance: int) -> None:
    """Keep open_balance_days and open_balance_customers in step with a write that changed
    the invoice's status, total or amount_paid, in the same transaction. old_balance: its
    open_balance() before the change. Every such write calls this (finalize and void here;
    a payment or a refund in the payments service), after changing the invoice."""
    change = open_balance(invoice) - old_balance
    if not change:
        return
    for model, key in ((OpenBalanceByDay, {"currency": invoice.currency, "due_date": invoice.due_date}),
                       (OpenBalanceByCustomer, {"customer_id": invoice.customer_id, "currency": invoice.currency})):
        key = {"partner_id": invoice.partner_id, **key}
        db.session.execute(_insert(model).values(**key, balance=change).on_conflict_do_update(
            index_elements=list(key), set_={"balance": model.__table__.c.balance + change}))


def rebuild_open_balances(partner_id: int) -> None:
    """Sum the partner's open balances again from its invoices (after a bulk load: the seed)."""
    for model, columns in ((OpenBalanceByDay, ("currency", "due_date")),
                           (OpenBalanceByCustomer, ("customer_id", "currency"))):
        db.session.execute(delete(model).where(model.partner_id == partner_id))
        grouped = [Invoice.partner_id, *(getattr(Invoice, name) for name in columns)]
        db.session.execute(insert(model).from_select(
            ["partner_id", *columns, "balance"],
            select(*grouped, func.sum(Invoice.total - Invoice.amount_paid))
            .where(Invoice.partner_id == partner_id, Invoice.status == "open").group_by(*grouped)))


def _name(invoice: Invoice) -> str:
    return invoice.number or "This draft"


# -- what pages show ---------------------------------------------------------------------


@dataclass(frozen=True)
class DisplayStatus:
    key: str  # data-status, and ?status= in the list
    label: str  # the element's text, exactly


DISPLAY = {key: DisplayStatus(key, label) for key, label in (
    ("draft", "Draft"), ("open", "Open"), ("overdue", "Overdue"), ("partially_paid", "Partially paid"),
    ("paid", "Paid"), ("void", "Void"),
)}


def display_status(invoice: Invoice, today: date) -> DisplayStatus:
    """Overdue wins over Open and Partially paid after the due date."""
    if invoice.status == "open":
        if invoice.due_date < today:
            return DISPLAY["overdue"]
        if invoice.amount_paid:
            return DISPLAY["partially_paid"]
    return DISPLAY[invoice.status]


@dataclass(frozen=True)
class Receivable:
    currency: str
    outstanding: int  # cents: every open invoice
    overdue: int  # cents: open and past due on the partner's calendar


@cache
def _receivables_statements() -> dict[bool, Select]:
    """receivables' two queries (the partner's, one customer's), built once per process: the
    partner, the customer and the day are parameters."""
    days, today = OpenBalanceByDay, bindparam("today", type_=Date)
    statements = {}
    for of_customer in (False, True):
        if of_customer:
            currency, due, owed = Invoice.currency, Invoice.due_date, Invoice.total - Invoice.amount_paid
            scope = (Invoice.partner_id == bindparam("partner_id"), Invoice.status == "open",
                     Invoice.customer_id == bindparam("customer_id"))
        else:
            currency, due, owed = days.currency, days.due_date, days.balance
            scope = (days.partner_id == bindparam("partner_id"), days.balance != 0)
        statements[of_customer] = (select(currency, func.sum(owed), func.sum(case((due < today, owed), else_=0)))
                                   .where(*scope).group_by(currency).order_by(currency))
    return statements


def receivables(partner_id: int, today: date, *, customer_id: int | None = None) -> list[Receivable]:
    """Outstanding and overdue per currency. The partner's: summed over open_balance_days
    (overdue moves with the clock, so it is a sum of the days before today, never a stored
    total); one customer's: over its open invoices. Read on the session's connection (pages
    that show it change nothing first): the ORM's execution of a column query costs more than
    the query."""
    statement = _receivables_statements()[customer_id is not None]
    params = {"partner_id": partner_id, "today": today, "customer_id": customer_id}
    return [Receivable(code, int(outstanding or 0), int(overdue or 0))
            for code, outstanding, overdue in db.session.connection().execute(statement, params)]
