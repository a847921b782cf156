"""CSV imports: the uploaded file (kept so the report's Import runs on the very same bytes),
its run's progress and report, and each partner's remembered column mapping."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models._time import utcnow

KINDS = ("customers", "invoices")
STATES = ("ready", "queued", "running", "done")


class ImportUpload(db.Model):
    __tablename__ = "import_uploads"
    __table_args__ = (
        CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")", name="kind_known"),
        CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in STATES) + ")", name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    mapping: Mapped[str] = mapped_column(Text, default="{}")  # JSON: column index -> field
    action: Mapped[str] = mapped_column(String(10), default="dry-run")  # the run asked for: dry-run | import
    state: Mapped[str] = mapped_column(String(10), default="ready")
    total_rows: Mapped[int] = mapped_column(default=0)
    done_rows: Mapped[int] = mapped_column(default=0)
    report: Mapped[str | None] = mapped_column(Text, deferred=True)  # JSON, services/imports.Report
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class ImportColumn(db.Model):
    """A header the partner mapped to a field: the next file with that header maps it the same."""

    __tablename__ = "import_columns"
    __table_args__ = (
        UniqueConstraint("partner_id", "kind", "header_key", name="uq_import_columns_partner_kind_header"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    kind: Mapped[str] = mapped_column(String(20))
    header_key: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(40))  # "" : ignored
