from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from models._time import utcnow

# Verified against when the email is unknown, so both failures take as long.
_DUMMY_HASH = generate_password_hash("not a real password")


class Partner(db.Model):
    """A tenant: an IT service firm that bills its customers through us."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff: Mapped[list["StaffUser"]] = relationship(back_populates="partner")


class StaffUser(UserMixin, db.Model):
    """A partner's dashboard login."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    # Case-folded in Python: SQLite's lower() folds only ASCII.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    partner: Mapped[Partner] = relationship(back_populates="staff")

    def get_id(self) -> str:
        # Prefixed so a portal login can never pass for a staff login.
        return f"staff:{self.id}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @staticmethod
    def check_no_password(password: str) -> bool:
        """Spend the time of a real check, for an unknown email."""
        check_password_hash(_DUMMY_HASH, password)
        return False
