"""Customer portal logins: one account per person per partner, and the links that set passwords."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from models._time import utcnow


class PortalAccount(UserMixin, db.Model):
    """A person's portal login. It belongs to one partner and is keyed by email; the
    customers whose invoices it may see are its memberships (CustomerUser rows)."""

    __tablename__ = "portal_accounts"
    __table_args__ = (UniqueConstraint("partner_id", "email_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))  # case-folded in Python
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    partner = relationship("Partner")
    memberships = relationship("CustomerUser", back_populates="portal_account")

    def get_id(self) -> str:
        # Prefixed so a staff login can never pass for a portal login.
        return f"portal:{self.id}"

    @property
    def is_active_login(self) -> bool:
        return self.password_hash is not None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(self.password_hash, password)


class AccessToken(db.Model):
    """A link that sets a password (an invitation or a reset). Only its hash is kept."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("portal_accounts.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))  # "invite" or "reset"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The membership an invitation was sent for: its status shows on the partner's Users tab.
    customer_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]  # set when used, or when a newer link replaces it

    account: Mapped[PortalAccount] = relationship()
