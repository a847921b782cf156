"""Automation: a partner's reminder schedule and who is left out of it, invoice summaries, and
the ledgers that make every automatic email happen at most once.

The ledgers' unique keys are the promise: a reminder step of an invoice is one row of
reminder_deliveries, whatever runs at once; a customer's summary of one period is one row of
summary_deliveries. A row is written in the transaction that queues its emails (or records why
none went), so a pass that rolls back leaves neither.
"""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models._time import utcnow

SUBJECT_TEMPLATE_MAX = 300
BODY_TEMPLATE_MAX = 5000
OFFSET_MIN, OFFSET_MAX = -60, 120  # days from the due date
OUTCOMES = ("sent", "skipped", "manual", "no_users")
PERIODS = ("weekly", "monthly")


class ReminderStep(db.Model):
    """One step of a partner's schedule: `offset_days` from the due date (negative: before it),
    with its own subject and body (Jinja, rendered in a sandbox with only the named variables).
    Read through tenancy.scoped(ReminderStep, partner_id)."""

    __tablename__ = "reminder_steps"
    __table_args__ = (
        UniqueConstraint("partner_id", "position"),
        CheckConstraint(f"offset_days BETWEEN {OFFSET_MIN} AND {OFFSET_MAX}", name="offset_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    position: Mapped[int]
    offset_days: Mapped[int]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    subject_template: Mapped[str] = mapped_column(String(SUBJECT_TEMPLATE_MAX))
    body_template: Mapped[str] = mapped_column(Text)


def _customer_list(name: str) -> Table:
    """A set of the partner's customers (the composite key: never another partner's)."""
    return Table(
        name,
        db.metadata,
        Column("partner_id", Integer, nullable=False),
        Column("customer_id", Integer, primary_key=True),
        ForeignKeyConstraint(["partner_id", "customer_id"], ["customers.partner_id", "customers.id"],
                             ondelete="CASCADE"),
    )


# A customer with reminders turned off (its Invoices tab), and tags whose customers get none.
reminders_off_customers = _customer_list("reminders_off_customers")

reminders_off_tags = Table(
    "reminders_off_tags",
    db.metadata,
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class ReminderDelivery(db.Model):
    """What became of one step of one invoice: sent (to `recipients` users), skipped (a later
    step was due in the same pass, or its moment was older than the window or came before the
    invoice was issued), manual (a Send by hand shortly before made it), no_users."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        UniqueConstraint("invoice_id", "step_id"),
        CheckConstraint("outcome IN (" + ", ".join(f"'{o}'" for o in OUTCOMES) + ")", name="outcome_known"),
        Index("ix_reminder_deliveries_partner_invoice", "partner_id", "invoice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("reminder_steps.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(10))
    step_at: Mapped[datetime]  # the step's moment (UTC): 00:00 of its date on the partner's calendar
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipients: Mapped[int] = mapped_column(default=0)


class SummarySchedule(db.Model):
    """A partner's invoice summaries: none until this row exists (/settings/summaries)."""

    __tablename__ = "summary_schedules"
    __table_args__ = (CheckConstraint("period IN ('weekly', 'monthly')", name="period_known"),)

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(10))
    start_date: Mapped[date]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


summary_excluded_customers = _customer_list("summary_excluded_customers")


class SummaryDelivery(db.Model):
    """One customer's summary of one period (the period's first day), sent once."""

    __tablename__ = "summary_deliveries"
    __table_args__ = (UniqueConstraint("customer_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    period_start: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipients: Mapped[int] = mapped_column(default=0)


# -- auto-pay -----------------------------------------------------------------------------------

AUTO_PAY_SCOPES = ("customer", "tag", "all")
AUTO_PAY_OUTCOMES = ("pending", "charged", "declined")
RETRIES_MAX = 5


class AutoPayRule(db.Model):
    """Charge the customer's default method `offset_days` from the due date (negative: before),
    for one customer, every customer with a tag, or every customer; a declined charge is tried
    again on later days up to `max_retries` times. None until a partner sets one up."""

    __tablename__ = "auto_pay_rules"
    __table_args__ = (
        CheckConstraint("scope IN ('customer', 'tag', 'all')", name="scope_known"),
        CheckConstraint("(scope = 'customer') = (customer_id IS NOT NULL) AND (scope = 'tag') = (tag_id IS NOT NULL)",
                        name="scope_has_its_target"),
        CheckConstraint(f"offset_days BETWEEN {OFFSET_MIN} AND {OFFSET_MAX}", name="offset_in_range"),
        CheckConstraint(f"max_retries BETWEEN 0 AND {RETRIES_MAX}", name="retries_in_range"),
        ForeignKeyConstraint(["partner_id", "customer_id"], ["customers.partner_id", "customers.id"],
                             ondelete="CASCADE"),
        ForeignKeyConstraint(["partner_id", "tag_id"], ["tags.partner_id", "tags.id"], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    scope: Mapped[str] = mapped_column(String(10))
    customer_id: Mapped[int | None]
    tag_id: Mapped[int | None]
    offset_days: Mapped[int] = mapped_column(default=0)
    max_retries: Mapped[int] = mapped_column(default=2)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Invoices a partner left out of a rule when it showed what it would charge.
auto_pay_exclusions = Table(
    "auto_pay_exclusions",
    db.metadata,
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False),
    Column("rule_id", Integer, ForeignKey("auto_pay_rules.id", ondelete="CASCADE"), primary_key=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True),
)


class AutoPayCharge(db.Model):
    """One attempt at charging one invoice automatically: claimed (pending) before the processor
    is called with a key made from (invoice, rule, attempt no.), then charged or declined. Unique
    per (invoice, attempt no.): no attempt is made twice, whatever runs at once."""

    __tablename__ = "auto_pay_charges"
    __table_args__ = (
        UniqueConstraint("invoice_id", "attempt_no"),
        CheckConstraint("outcome IN ('pending', 'charged', 'declined')", name="outcome_known"),
        Index("ix_auto_pay_charges_partner_invoice", "partner_id", "invoice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("auto_pay_rules.id", ondelete="SET NULL"))
    attempt_no: Mapped[int]
    attempt_key: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(10), default="pending")
    message: Mapped[str] = mapped_column(String(300), default="")
    payment_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("payment_attempts.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
