"""Invoices, their lines, and each partner's invoice-number counter.

Money is integer cents (BigInteger) everywhere; quantities and tax rates are exact decimals.
A line stores its rounded amount and tax, and the invoice the sums of its lines (money.py),
so every page, the PDF and the API show the same figures. Only services.invoices writes them.

Status is stored as the lifecycle's state (draft, open, paid, void); what a page shows
(Overdue, Partially paid) is computed from it, the due date and the partner's clock
(services.invoices.display_status).
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._time import utcnow
from models._types import ExactDecimal
from models.customer import EXTERNAL_ID_MAX, SOURCE_MAX, synced_from_constraints

STATUSES = ("draft", "open", "paid", "void")
DESCRIPTION_MAX = 500
MEMO_MAX = 2000
VOID_REASON_MAX = 500
NUMBER_PREFIX = "INV-"


def invoice_number(sequence: int) -> str:
    """The partner's n-th finalized invoice: INV-0001, …, INV-9999, INV-10000."""
    return f"{NUMBER_PREFIX}{sequence:04d}"


class Invoice(db.Model):
    """A bill to one customer. Always read through tenancy.scoped(Invoice, partner_id)."""

    __tablename__ = "invoices"
    __table_args__ = (
        # Gapless numbers come from invoice_counters; this is the backstop.
        UniqueConstraint("partner_id", "number"),
        # The customer is the partner's own (the composite key customer_tags uses too).
        ForeignKeyConstraint(["partner_id", "customer_id"], ["customers.partner_id", "customers.id"]),
        CheckConstraint("status IN ('draft', 'open', 'paid', 'void')", name="status_known"),
        CheckConstraint("currency IN ('USD', 'CAD')", name="currency_supported"),
        CheckConstraint("subtotal >= 0 AND tax >= 0 AND total = subtotal + tax", name="amounts_add_up"),
        CheckConstraint("due_date >= issue_date", name="due_after_issue"),
        CheckConstraint("amount_paid >= 0 AND amount_paid <= total", name="paid_within_total"),
        CheckConstraint("(status = 'draft') = (number IS NULL)", name="numbered_once_final"),
        # Outstanding and overdue totals are summed over this at read time (overdue moves with the clock).
        # and the overdue list is paged in its order (due date, then id).
        Index("ix_invoices_partner_status_due", "partner_id", "status", "due_date", "id"),
        Index("ix_invoices_partner", "partner_id", "id"),  # the list's first page, newest first
        Index("ix_invoices_partner_customer", "partner_id", "customer_id", "id"),
        *synced_from_constraints("invoices"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    customer_id: Mapped[int] = mapped_column()
    number: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date]
    due_date: Mapped[date]
    memo: Mapped[str] = mapped_column(Text, default="")
    subtotal: Mapped[int] = mapped_column(BigInteger, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    # Cents of succeeded (or pending bank) payments less refunds, kept by the payments service
    # in the same unit of work as the payment; status becomes 'paid' when it reaches the total.
    amount_paid: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    void_reason: Mapped[str | None] = mapped_column(String(VOID_REASON_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    finalized_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    first_viewed_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    # Where a sync brought it from, and its id there (models.customer.synced_from_constraints).
    source: Mapped[str | None] = mapped_column(String(SOURCE_MAX))
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_MAX))
    # Every change moves it on; an edit saves only over the version its form started from.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    customer = relationship(
        "Customer", primaryjoin="and_(Customer.partner_id == Invoice.partner_id, Customer.id == Invoice.customer_id)",
        foreign_keys=[partner_id, customer_id], viewonly=True,
    )
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def balance(self) -> int:
        """What is still owed, in cents (nothing on a draft or a void invoice)."""
        return self.total - self.amount_paid if self.status in ("open", "paid") else 0


class InvoiceLine(db.Model):
    """One line of an invoice: amount and tax stored as rounded when written (money.line_money)."""

    __tablename__ = "invoice_lines"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position"),
        # CAST: SQLite keeps these decimals as text (models._types.ExactDecimal).
        CheckConstraint("CAST(quantity AS NUMERIC) > 0", name="quantity_positive"),
        CheckConstraint("tax_rate IS NULL OR CAST(tax_rate AS NUMERIC) BETWEEN 0 AND 100", name="rate_percent"),
        CheckConstraint("unit_price >= 0 AND amount >= 0 AND tax >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(12, 4))
    unit_price: Mapped[int] = mapped_column(BigInteger)  # cents
    tax_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(7, 4))  # percent
    amount: Mapped[int] = mapped_column(BigInteger)  # cents: quantity x unit price, rounded
    tax: Mapped[int] = mapped_column(BigInteger)  # cents: amount x rate, rounded

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class InvoiceCounter(db.Model):
    """The last number a partner's invoices took: raised in the finalize's own transaction
    (a rolled-back finalize gives its number back), so numbers are gapless; never a sequence."""

    __tablename__ = "invoice_counters"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class OpenBalanceByDay(db.Model):
    """What the partner's open invoices due on one day still owe, per currency, in cents: kept
    by services.invoices.balance_changed in the writing transaction. Aging buckets and
    "overdue" are due-date ranges, so they are sums of a few hundred of these rows whatever
    the number of invoices; the clock only moves the ranges."""

    __tablename__ = "open_balance_days"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    due_date: Mapped[date] = mapped_column(primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)


class OpenBalanceByCustomer(db.Model):
    """What one customer's open invoices still owe, per currency, in cents (kept as above):
    the Overview's table of who owes most reads the top of its index."""

    __tablename__ = "open_balance_customers"
    __table_args__ = (
        ForeignKeyConstraint(["partner_id", "customer_id"], ["customers.partner_id", "customers.id"]),
        Index("ix_open_balance_customers_most", "partner_id", "balance", "customer_id"),
    )

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
