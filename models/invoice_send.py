"""Each time an invoice was emailed to its customer's users: the first send and every resend."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._time import utcnow
from models.partner import StaffUser


class InvoiceSend(db.Model):
    """One Send (or resend) of an invoice; the invoice's own sent_at is the latest one.
    Read through tenancy.scoped(InvoiceSend, partner_id)."""

    __tablename__ = "invoice_sends"
    __table_args__ = (Index("ix_invoice_sends_partner_invoice", "partner_id", "invoice_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipients: Mapped[int]  # how many users the email was queued for

    staff: Mapped[StaffUser | None] = relationship()
