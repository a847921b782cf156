"""History: who changed what and when, written in the same transaction as the change."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._time import utcnow
from models.partner import StaffUser


class HistoryEntry(db.Model):
    """One change. customer_id is set for a customer's history, and empty for
    the partner's tag log (renaming or deleting a tag: one entry, not one per customer)."""

    __tablename__ = "history_entries"
    __table_args__ = (
        # A customer's History tab, and the partner's tag log (customer_id IS NULL), newest first.
        Index("ix_history_entries_partner_customer", "partner_id", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What happened, e.g. "profile.updated", "user.added", "tag.renamed" (see services.history).
    action: Mapped[str] = mapped_column(String(40))
    # Whom or what it happened to, as it was named then: a user, a tag.
    subject: Mapped[str | None] = mapped_column(String(300))
    # [{"field": ..., "before": ..., "after": ...}], values as stored.
    changes: Mapped[list] = mapped_column(JSON, default=list)
    # The customer's profile version this change made (profile changes only):
    # a refused stale edit shows the changes made since the version it started from.
    customer_version: Mapped[int | None]

    staff: Mapped[StaffUser | None] = relationship()
