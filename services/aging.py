"""Accounts-receivable aging: what the partner's customers owe, by how long it is past due.

Summed at read time from the open invoices (overdue moves with the clock, so it is never a
stored total), over the (partner, status, due date) index. Days past due count on the
partner's calendar: `today` is services.invoices.partner_today(partner). Each bucket is a
due-date range, so the page links each figure to the Invoices list filtered by that range.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, select

from extensions import db
from models import Customer, Invoice


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
    more_customers: int  # how many customers with open invoices the table leaves out


def _bucket_sum(bucket: Bucket, today: date):
    due_from, due_to = bucket.due_range(today)
    conditions = [c for c in ((Invoice.due_date >= due_from) if due_from else None,
                              (Invoice.due_date <= due_to) if due_to else None) if c is not None]
    return func.coalesce(func.sum(case((and_(*conditions), Invoice.total - Invoice.amount_paid), else_=0)), 0)


def aging(partner_id: int, today: date) -> Aging:
    """The partner's open invoices by customer and bucket, in one grouped query."""
    sums = [_bucket_sum(bucket, today).label(bucket.key) for bucket in BUCKETS]
    rows = db.session.execute(
        select(Invoice.customer_id, Invoice.currency, *sums)
        .where(Invoice.partner_id == partner_id, Invoice.status == "open")
        .group_by(Invoice.customer_id, Invoice.currency)
    ).all()
    by_currency: dict[str, Row] = {}
    customers = []
    for row in rows:
        amounts = {bucket.key: int(row._mapping[bucket.key]) for bucket in BUCKETS}
        customers.append(Row(row.currency, amounts, row.customer_id))
        total = by_currency.setdefault(row.currency, Row(row.currency))
        for key, cents in amounts.items():
            total.amounts[key] += cents
    customers.sort(key=lambda r: (-r.total, r.customer_id))
    shown = customers[:CUSTOMER_ROWS]
    names = dict(db.session.execute(
        select(Customer.id, Customer.company).where(Customer.partner_id == partner_id,
                                                    Customer.id.in_([r.customer_id for r in shown]))
    ).all()) if shown else {}
    for row in shown:
        row.company = names.get(row.customer_id)
    return Aging(sorted(by_currency.values(), key=lambda r: (-r.total, r.currency)), shown, len(customers) - len(shown))
