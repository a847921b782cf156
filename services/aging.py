"""Accounts-receivable aging: what the partner's customers owe, by how long it is past due.

Overdue moves with the clock, so no bucket is a stored total: each is a due-date range, summed
at read time over open_balance_days (a row per currency and due date, kept by the invoice
writes: services.invoices.balance_changed), so a partner with 500,000 invoices sums a few
hundred rows. The customers who owe most are the top of open_balance_customers' index; only
their open invoices are read for their buckets. Days past due count on the
partner's calendar: `today` is services.invoices.partner_today(partner). Each bucket is a
due-date range, so the page links each figure to the Invoices list filtered by that range.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from types import SimpleNamespace

from sqlalchemy import Date, and_, bindparam, case, func, select

from extensions import db
from models import Customer, Invoice, OpenBalanceByCustomer, OpenBalanceByDay


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    axis: str  # the chart's shorter label
    newest: int | None  # days past due, inclusive (None: not yet due)
    oldest: int | None  # None: no limit

    def due_range(self, today: date) -> tuple[date | None, date | None]:
        """(due from, due to) of the invoices in this bucket, either end open (None)."""
        if self.newest is None:
            return today, None
        due_to = today - timedelta(days=self.newest)
        return (today - timedelta(days=self.oldest) if self.oldest is not None else None), due_to


BUCKETS = (
    Bucket("current", "Current", "Current", None, None),
    Bucket("1-30", "1–30 days", "1–30", 1, 30),
    Bucket("31-60", "31–60 days", "31–60", 31, 60),
    Bucket("61-90", "61–90 days", "61–90", 61, 90),
    Bucket("over-90", "Over 90 days", "90+", 91, None),
)
CUSTOMER_ROWS = 50  # the table's customers: those who owe most
MORE_COUNTED = 1000  # customers left out are counted up to this ("over 1,000 more" past it)


@dataclass
class Row:
    """One customer's (or a currency's) open amounts, in cents, by bucket key."""

    currency: str
    amounts: dict[str, int] = field(default_factory=lambda: {b.key: 0 for b in BUCKETS})
    customer_id: int | None = None
    company: str | None = None

    @property
    def total(self) -> int:
        return sum(self.amounts.values())

    @property
    def overdue(self) -> int:
        return self.total - self.amounts["current"]


@dataclass(frozen=True)
class Aging:
    currencies: list[Row]  # one per currency the partner has open invoices in, most owed first
    customers: list[Row]  # the CUSTOMER_ROWS customers with most outstanding, most first
    more_customers: int  # how many customers with open invoices the table leaves out (at most MORE_COUNTED)
    more_than_counted: bool = False  # and there are more than that


def _bucket_sum(bucket: Bucket, due, owed):
    """The sum of `owed` over the rows whose `due` date falls in the bucket: its ends are
    parameters (`<key>_from`, `<key>_to`, filled by _bucket_dates), so each statement is built
    once per process and its compiled form reused."""
    conditions = []
    if bucket.newest is None or bucket.oldest is not None:
        conditions.append(due >= bindparam(f"{bucket.key}_from", type_=Date))
    if bucket.newest is not None:
        conditions.append(due <= bindparam(f"{bucket.key}_to", type_=Date))
    return func.coalesce(func.sum(case((and_(*conditions), owed), else_=0)), 0)


def _bucket_dates(today: date) -> dict[str, date]:
    """The parameters of _bucket_sum's conditions on `today` (Bucket.due_range)."""
    dates = {}
    for bucket in BUCKETS:
        due_from, due_to = bucket.due_range(today)
        dates |= {name: day for name, day in ((f"{bucket.key}_from", due_from), (f"{bucket.key}_to", due_to)) if day}
    return dates


def _amounts(row, first: int) -> dict[str, int]:
    """The bucket sums of a row whose columns from `first` on are BUCKETS' (the statements' order)."""
    return {bucket.key: int(cents) for bucket, cents in zip(BUCKETS, row[first:], strict=True)}


@cache
def _statements() -> SimpleNamespace:
    """aging's three queries, with the partner, the day and the customers as parameters."""
    days, owing, partner_id = OpenBalanceByDay, OpenBalanceByCustomer, bindparam("partner_id")
    owed = Invoice.total - Invoice.amount_paid
    # Counted over a limited walk of the index: a count of 80,000 customers costs more than the rest.
    counted = select(owing.customer_id).where(owing.partner_id == partner_id, owing.balance > 0)
    return SimpleNamespace(
        by_currency=select(days.currency, *(_bucket_sum(b, days.due_date, days.balance).label(b.key) for b in BUCKETS))
        .where(days.partner_id == partner_id, days.balance != 0).group_by(days.currency),
        # Each row also carries how many owe (an uncorrelated subquery: computed once per statement,
        # and one round trip instead of two).
        most=select(owing.customer_id, owing.currency,
                    select(func.count()).select_from(counted.limit(CUSTOMER_ROWS + MORE_COUNTED + 1).subquery())
                    .scalar_subquery().label("owing_count"))
        .where(owing.partner_id == partner_id, owing.balance > 0)
        .order_by(owing.balance.desc(), owing.customer_id.desc()).limit(CUSTOMER_ROWS),
        shown=select(Invoice.customer_id, Invoice.currency, Customer.company,
                     *(_bucket_sum(b, Invoice.due_date, owed).label(b.key) for b in BUCKETS))
        .join(Customer, (Customer.partner_id == Invoice.partner_id) & (Customer.id == Invoice.customer_id))
        .where(Invoice.partner_id == partner_id, Invoice.status == "open",
               Invoice.customer_id.in_(bindparam("customer_ids", expanding=True)))
        .group_by(Invoice.customer_id, Invoice.currency, Customer.company),
    )


def aging(partner_id: int, today: date) -> Aging:
    """The partner's open balances by currency and bucket, and the customers who owe most,
    in three small queries."""
    queries, params = _statements(), {"partner_id": partner_id, **_bucket_dates(today)}
    # On the session's connection: these statements read columns, not entities, and the ORM's
    # execution (its context and row loading) cost more than the queries themselves.
    connection = db.session.connection()
    by_currency = [Row(row.currency, _amounts(row, 1)) for row in connection.execute(queries.by_currency, params)]
    most = connection.execute(queries.most, params).all()
    owing_count = most[0].owing_count if most else 0  # none owes: none is counted
    shown, wanted = [], {(row.customer_id, row.currency) for row in most}
    if most:
        shown = [Row(row.currency, _amounts(row, 3), row.customer_id, row.company) for row in connection.execute(
            queries.shown, {**params, "customer_ids": sorted({row.customer_id for row in most})},
        ) if (row.customer_id, row.currency) in wanted]
    shown.sort(key=lambda r: (-r.total, -r.customer_id))
    more = owing_count - len(most)
    return Aging(sorted(by_currency, key=lambda r: (-r.total, r.currency)), shown, min(more, MORE_COUNTED),
                 more > MORE_COUNTED)
