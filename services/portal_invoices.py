"""What the portal shows of a company's invoices: never a draft; open and overdue first.

A portal login sees the invoices of the customers it is a user of, and nothing else: each
query names the customer (and its partner) it reads. Every figure is the stored one, as on
the dashboard and in the PDF.
"""

from dataclasses import dataclass

from sqlalchemy import case, func, select, update

from extensions import db
from models import Customer, Invoice, Partner
from models._time import utcnow
from services.invoices import partner_today
from tenancy import scoped

SHOWN = ("open", "paid", "void")  # never a draft


def _of(customer_ids: list[int], partner_ids: list[int]):
    return select(Invoice).where(Invoice.customer_id.in_(customer_ids), Invoice.partner_id.in_(partner_ids),
                                 Invoice.status.in_(SHOWN))


def company_invoices(customer: Customer) -> list[Invoice]:
    """Open (overdue first, by due date), then paid and void (newest first)."""
    return list(db.session.scalars(
        scoped(Invoice, customer.partner_id)
        .where(Invoice.customer_id == customer.id, Invoice.status.in_(SHOWN))
        .order_by(case((Invoice.status == "open", 0), else_=1),
                  case((Invoice.status == "open", Invoice.due_date)),
                  Invoice.issue_date.desc(), Invoice.id.desc())
    ))


@dataclass(frozen=True)
class Summary:
    open_count: int
    overdue_count: int
    total: int  # cents, the balance of every open invoice (one currency per customer)
    currency: str | None
    locale: str  # the partner's


def summary(customer: Customer) -> Summary:
    """The home page's line: how many invoices are open and overdue, and what they come to."""
    partner = db.session.get(Partner, customer.partner_id)
    today = partner_today(partner)
    row = db.session.execute(
        select(func.count(), func.sum(case((Invoice.due_date < today, 1), else_=0)),
               func.coalesce(func.sum(Invoice.total - Invoice.amount_paid), 0), func.max(Invoice.currency))
        .where(Invoice.partner_id == customer.partner_id, Invoice.customer_id == customer.id,
               Invoice.status == "open")
    ).one()
    return Summary(row[0], int(row[1] or 0), int(row[2]), row[3], partner.locale)


def find(customers: list[Customer], invoice_id: int) -> Invoice | None:
    """The invoice if it is one of these customers' and not a draft."""
    if not customers:
        return None
    return db.session.scalar(
        _of([c.id for c in customers], list({c.partner_id for c in customers})).where(Invoice.id == invoice_id)
    )


def record_first_view(invoice: Invoice) -> None:
    """A user of the customer opened the invoice: the first time is kept (bookkeeping on a GET,
    a conditional UPDATE: two tabs at once keep the earlier)."""
    db.session.execute(
        update(Invoice).where(Invoice.id == invoice.id, Invoice.first_viewed_at.is_(None))
        .values(first_viewed_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
