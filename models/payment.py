"""Payments received against invoices, their refunds, and the portal's payment attempts.

A Payment is money for one invoice: recorded by a partner (a check, a wire, cash, other) or
made in the portal through the processor (a card or a bank debit). A portal payment of
several invoices is one PaymentAttempt: one charge at the processor for all of them (with
any surcharge), one Payment per invoice sharing the charge's id. The attempt's idempotency
key is unique per partner and is the key the processor is charged with, so a double click,
a resubmitted form or two tabs charge once and record once.

Refunds are of card payments, through the processor, never more than paid less refunded
(`refunded`, kept with each Refund in the same unit of work, checked by the schema).
Only services.payments writes these rows. Never a card or an account number.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._time import utcnow
from models.partner import StaffUser

KINDS = ("card", "bank", "check", "wire", "cash", "other")
OFFLINE_KINDS = ("check", "wire", "cash", "other")
STATUSES = ("pending", "succeeded", "failed")
REFERENCE_MAX = 200


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


class PaymentAttempt(db.Model):
    """One press of Pay in the portal (or one auto-pay run): its key is made when the pay page
    is drawn and carried in the form; the row is written with the payments it recorded."""

    __tablename__ = "payment_attempts"
    __table_args__ = (
        UniqueConstraint("partner_id", "idempotency_key", name="uq_payment_attempts_key"),
        ForeignKeyConstraint(["partner_id", "customer_id"], ["customers.partner_id", "customers.id"]),
        CheckConstraint("surcharge >= 0 AND amount > 0", name="amounts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    customer_id: Mapped[int] = mapped_column()
    idempotency_key: Mapped[str] = mapped_column(String(64))
    payment_method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"))
    # The processor's charge: amount + surcharge, in the invoices' currency.
    charge_id: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # cents, for the invoices
    surcharge: Mapped[int] = mapped_column(BigInteger, default=0)  # cents
    portal_account_id: Mapped[int | None] = mapped_column(ForeignKey("portal_accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    payments: Mapped[list["Payment"]] = relationship(back_populates="attempt", order_by="Payment.id")

    @property
    def charged(self) -> int:
        return self.amount + self.surcharge


class Payment(db.Model):
    """Money for one invoice. Read through tenancy.scoped(Payment, partner_id)."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("partner_id", "idempotency_key", name="uq_payments_key"),
        ForeignKeyConstraint(["partner_id", "customer_id"], ["customers.partner_id", "customers.id"]),
        CheckConstraint(_one_of("kind", KINDS), name="kind_known"),
        CheckConstraint(_one_of("status", STATUSES), name="status_known"),
        CheckConstraint("currency IN ('USD', 'CAD')", name="currency_supported"),
        CheckConstraint("amount > 0 AND surcharge >= 0", name="amounts_positive"),
        CheckConstraint("refunded >= 0 AND refunded <= amount", name="refunds_within_amount"),
        # Through the processor: a card or a bank debit with its charge; recorded by hand: neither.
        CheckConstraint("(kind IN ('card', 'bank')) = (charge_id IS NOT NULL)", name="charged_through_processor"),
        CheckConstraint("surcharge = 0 OR kind = 'card'", name="surcharge_on_cards_only"),
        Index("ix_payments_partner_invoice", "partner_id", "invoice_id", "id"),
        Index("ix_payments_pending", "status", postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    customer_id: Mapped[int] = mapped_column()
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("payment_attempts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)  # cents, toward the invoice
    currency: Mapped[str] = mapped_column(String(3))
    surcharge: Mapped[int] = mapped_column(BigInteger, default=0)  # cents, on top (credit cards only)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)  # cents, the sum of its refunds
    kind: Mapped[str] = mapped_column(String(10))
    payment_method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"))
    # What the portal shows of the method paid with ("Visa ending 4242"): never its number.
    method_label: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(10))
    failure_message: Mapped[str] = mapped_column(String(300), default="")
    charge_id: Mapped[str | None] = mapped_column(String(255))
    idempotency_key: Mapped[str] = mapped_column(String(80))
    paid_on: Mapped[date]
    reference: Mapped[str] = mapped_column(String(REFERENCE_MAX), default="")
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_by_portal_account_id: Mapped[int | None] = mapped_column(ForeignKey("portal_accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    attempt: Mapped[PaymentAttempt | None] = relationship(back_populates="payments")
    refunds: Mapped[list["Refund"]] = relationship(back_populates="payment", order_by="Refund.id")
    staff: Mapped[StaffUser | None] = relationship()

    @property
    def refundable(self) -> int:
        """Cents a refund may still return: card payments that went through only."""
        return self.amount - self.refunded if self.kind == "card" and self.status == "succeeded" else 0

    @property
    def shown_status(self) -> str:
        if self.status == "succeeded" and self.refunded:
            return "Refunded" if self.refunded == self.amount else "Partially refunded"
        return {"pending": "Pending", "succeeded": "Succeeded", "failed": "Failed"}[self.status]


class Refund(db.Model):
    """All or part of a card payment, returned through the processor."""

    __tablename__ = "refunds"
    __table_args__ = (
        UniqueConstraint("partner_id", "idempotency_key", name="uq_refunds_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_refunds_payment", "payment_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    processor_refund_id: Mapped[str] = mapped_column(String(255))
    idempotency_key: Mapped[str] = mapped_column(String(80))
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="refunds")
    staff: Mapped[StaffUser | None] = relationship()
