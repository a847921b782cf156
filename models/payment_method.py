"""A customer's saved payment methods: what the processor's token stands for, as far as the app
may know it.

Stored: the processor's token, the kind, the card's brand, last four and expiry, the holder's
name; for a bank account its country, routing number (US) or institution and transit numbers
(Canada) and the account's last four; for a Canadian account the pre-authorized debit agreement
accepted (who, when, the text). Never a full card number, a security code or a full account
number: the processor's form takes them and hands the app only the token.

Methods are archived, never edited or deleted (payments keep pointing at them). Only
services.payment_methods writes them.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._time import utcnow

KINDS = ("credit_card", "debit_card", "bank_account")
KIND_NAMES = {"credit_card": "Credit card", "debit_card": "Debit card", "bank_account": "Bank account"}
_ACTIVE_DEFAULT = text("is_default AND archived_at IS NULL")


class PaymentMethod(db.Model):
    """Always read through tenancy.scoped(PaymentMethod, partner_id) (services.payment_methods)."""

    __tablename__ = "payment_methods"
    __table_args__ = (
        # The customer is the partner's own (the composite key invoices use too).
        ForeignKeyConstraint(["partner_id", "customer_id"], ["customers.partner_id", "customers.id"]),
        CheckConstraint("kind IN ('credit_card', 'debit_card', 'bank_account')", name="kind_known"),
        CheckConstraint("country IN ('US', 'CA')", name="country_supported"),
        CheckConstraint("length(last4) = 4", name="last4_four_digits"),
        # A card has an expiry and no bank details; a bank account the other way round.
        CheckConstraint(
            "(kind = 'bank_account') = (exp_month IS NULL AND exp_year IS NULL)", name="expiry_only_on_cards"
        ),
        CheckConstraint("exp_month IS NULL OR exp_month BETWEEN 1 AND 12", name="exp_month_range"),
        CheckConstraint(
            "kind <> 'bank_account' OR country <> 'US' OR length(routing_number) = 9", name="us_bank_routed"
        ),
        CheckConstraint(
            "kind <> 'bank_account' OR country <> 'CA' OR "
            "(length(institution_number) = 3 AND length(transit_number) = 5 AND pad_accepted_at IS NOT NULL)",
            name="ca_bank_has_pad",
        ),
        CheckConstraint("is_default = false OR archived_at IS NULL", name="default_is_active"),
        # At most one default per customer.
        Index(
            "uq_payment_methods_one_default", "partner_id", "customer_id", unique=True,
            postgresql_where=_ACTIVE_DEFAULT, sqlite_where=_ACTIVE_DEFAULT,
        ),
        # A customer's list, newest first.
        Index("ix_payment_methods_partner_customer", "partner_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    customer_id: Mapped[int] = mapped_column()
    token: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    brand: Mapped[str] = mapped_column(String(20), default="")  # cards: payments.rules.BRANDS' key
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int | None]
    exp_year: Mapped[int | None]
    holder_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    routing_number: Mapped[str] = mapped_column(String(9), default="")
    institution_number: Mapped[str] = mapped_column(String(3), default="")
    transit_number: Mapped[str] = mapped_column(String(5), default="")
    # A Canadian account's pre-authorized debit agreement: who accepted it, when, the text.
    pad_accepted_by: Mapped[str | None] = mapped_column(String(300))
    pad_accepted_at: Mapped[datetime | None]
    pad_text: Mapped[str | None] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(default=False)
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who added it: a partner's staff on the customer page, or a customer's user in the portal.
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("customer_users.id", ondelete="SET NULL"))

    customer = relationship(
        "Customer",
        primaryjoin="and_(Customer.partner_id == PaymentMethod.partner_id, Customer.id == PaymentMethod.customer_id)",
        foreign_keys=[partner_id, customer_id], viewonly=True,
    )

    @property
    def is_card(self) -> bool:
        return self.kind != "bank_account"

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]

    @property
    def active(self) -> bool:
        return self.archived_at is None
