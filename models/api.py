"""The JSON API's own rows: a partner's API keys, and the responses kept for Idempotency-Key."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models._time import utcnow

SCOPES = ("read", "write")


class ApiKey(db.Model):
    """A key a partner's integration sends as `Authorization: Bearer <key>`. Only its SHA-256 is
    stored; `prefix` (its first characters) tells keys apart on the dashboard."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("scope IN ('read', 'write')", name="scope_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    # Who made it: the API's changes are recorded in the history as this staff user's.
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class IdempotentRequest(db.Model):
    """A POST sent with an Idempotency-Key: what it carried (a hash) and its first response,
    replayed to a repeat for 24 hours. The unique (partner, key) makes two at once one."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("partner_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
