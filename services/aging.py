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

from sqlalchemy import and_, case, func, select

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


def _bucket_sum(bucket: Bucket, today: date, due, owed):
    """The sum of `owed` over the rows whose `due` date falls in the bucket."""
    due_from, due_to = bucket.due_range(today)
    conditions = [c for c in ((due >= due_from) if due_from else None, (due <= due_to) if due_to else None)
                  if c is not None]
    return func.coalesce(func.sum(case((and_(*conditions), owed), else_=0)), 0)


def _amounts(row) -> dict[str, int]:
    return {bucket.key: int(row._mapping[bucket.key]) for bucket in BUCKETS}


def aging(partner_id: int, today: date) -> Aging:
    """The partner's open balances by currency and bucket, and the customers who owe most,
    in four small queries."""
    days = OpenBalanceByDay
    by_currency = [
        Row(row.currency, _amounts(row)) for row in db.session.execute(
            select(days.currency, *(_bucket_sum(b, today, days.due_date, days.balance).label(b.key) for b in BUCKETS))
            .where(days.partner_id == partner_id, days.balance != 0).group_by(days.currency)
        )
    ]
    owing = OpenBalanceByCustomer
    most = db.session.execute(
        select(owing.customer_id, owing.currency).where(owing.partner_id == partner_id, owing.balance > 0)
        .order_by(owing.balance.desc(), owing.customer_id.desc()).limit(CUSTOMER_ROWS)
    ).all()
    # Counted over a limited walk of the index: a count of 80,000 customers costs more than the rest.
    counted = select(owing.customer_id).where(owing.partner_id == partner_id, owing.balance > 0)
    owing_count = db.session.scalar(
        select(func.count()).select_from(counted.limit(CUSTOMER_ROWS + MORE_COUNTED + 1).subquery()))
    shown, wanted = [], {(customer_id, currency) for customer_id, currency in most}
    if most:
        owed = Invoice.total - Invoice.amount_paid
        sums = [_bucket_sum(b, today, Invoice.due_date, owed).label(b.key) for b in BUCKETS]
        shown = [Row(row.currency, _amounts(row), row.customer_id, row.company) for row in db.session.execute(
            select(Invoice.customer_id, Invoice.currency, Customer.company, *sums)
            .join(Customer, (Customer.partner_id == Invoice.partner_id) & (Customer.id == Invoice.customer_id))
            .where(Invoice.partner_id == partner_id, Invoice.status == "open",
                   Invoice.customer_id.in_({customer_id for customer_id, _ in most}))
            .group_by(Invoice.customer_id, Invoice.currency, Customer.company)
        ) if (row.customer_id, row.currency) in wanted]
    shown.sort(key=lambda r: (-r.total, -r.customer_id))
    more = owing_count - len(most)
    return Aging(sorted(by_currency, key=lambda r: (-r.total, r.currency)), shown, min(more, MORE_COUNTED),
                 more > MORE_COUNTED)
