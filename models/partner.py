from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._time import utcnow
from models._types import ExactDecimal
from models.login import Login, PasswordLink

DEFAULT_TIME_ZONE = "America/New_York"
DEFAULT_LOCALE = "en_US"
LOGO_MAX_BYTES = 200_000
# What a logo may be, known by its first bytes (not by what the browser claims).
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def logo_type(data: bytes) -> str | None:
    """"image/png" or "image/jpeg" for a logo's bytes; None for anything else."""
    return next((kind for magic, kind in LOGO_TYPES.items() if data.startswith(magic)), None)


class Partner(db.Model):
    """A tenant: an IT service firm that bills its customers through us."""

    __tablename__ = "partners"
    __table_args__ = (
        CheckConstraint(f"logo IS NULL OR length(logo) <= {LOGO_MAX_BYTES}", name="logo_small"),
        CheckConstraint("CAST(surcharge_percent AS NUMERIC) BETWEEN 0 AND 3", name="surcharge_at_most_3"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Settings (/settings): what invoices show about the partner, and whose calendar and
    # number format "today", "overdue" and amounts follow.
    legal_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)  # several lines, as printed on an invoice
    ein: Mapped[str | None] = mapped_column(String(10))
    gst_hst_number: Mapped[str | None] = mapped_column(String(20))  # shown to Canadian customers
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIME_ZONE, server_default=DEFAULT_TIME_ZONE)
    locale: Mapped[str] = mapped_column(String(16), default=DEFAULT_LOCALE, server_default=DEFAULT_LOCALE)
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(20))  # image/png, image/jpeg
    # Surcharges on credit cards paid in the portal: a percent (0 to 3), and a switch to stop them.
    surcharge_percent: Mapped[Decimal] = mapped_column(ExactDecimal(4, 2), default=Decimal(0), server_default="0")
    surcharges_on: Mapped[bool] = mapped_column(default=True, server_default=true())

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


class StaffLink(PasswordLink, db.Model):
    """A link that sets a staff login's password: a reset ("Forgot password?" on /login)."""

    __tablename__ = "staff_links"

    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)

    login: Mapped[StaffUser] = relationship()
