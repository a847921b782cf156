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
