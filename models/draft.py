"""A customer being added, between Continue and Create Customer (services/drafts.py)."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db


class StoredDraft(db.Model):
    """One staff user's draft of a new customer. The session names it by its token; every
    read is scoped to the partner and the staff user as well."""

    __tablename__ = "customer_drafts"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict] = mapped_column(JSON)  # {"details": {...} | None, "users": [{...}, ...]}
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
