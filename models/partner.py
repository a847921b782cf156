from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._time import utcnow
from models.login import Login


class Partner(db.Model):
    """A tenant: an IT service firm that bills its customers through us."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff: Mapped[list["StaffUser"]] = relationship(back_populates="partner")


class StaffUser(Login, db.Model):
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

    partner: Mapped[Partner] = relationship(back_populates="staff")

    def get_id(self) -> str:
        # Prefixed so a portal login can never pass for a staff login.
        return f"staff:{self.id}"
