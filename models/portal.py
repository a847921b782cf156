"""Customer portal logins: one per email, across partners, and the links that set their passwords."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._time import utcnow
from models.login import Login, PasswordLink


class PortalAccount(Login, db.Model):
    """A person's portal login, one per email (one password) whichever partners invited it.
    The customers whose invoices it may see, at any partner, are its memberships
    (CustomerUser rows); each partner sees only the memberships in its own customers."""

    __tablename__ = "portal_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), unique=True)  # case-folded in Python
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships = relationship("CustomerUser", back_populates="portal_account")

    def get_id(self) -> str:
        # Prefixed so a staff login can never pass for a portal login.
        return f"portal:{self.id}"

    @property
    def is_active_login(self) -> bool:
        return self.password_hash is not None


class AccessToken(PasswordLink, db.Model):
    """A link that sets a portal login's password: an invitation or a reset."""

    __tablename__ = "access_tokens"

    account_id: Mapped[int] = mapped_column(ForeignKey("portal_accounts.id", ondelete="CASCADE"), index=True)
    # The membership an invitation was sent for: its status shows on the partner's Users tab.
    customer_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_users.id", ondelete="SET NULL"), index=True
    )

    login: Mapped[PortalAccount] = relationship()
