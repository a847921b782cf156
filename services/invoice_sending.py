"""Send an invoice: one email to every user of its customer, with the PDF attached, queued in
the caller's unit of work (as invitations are: a send that rolls back sends nothing).

Sending again is a resend ("A copy of invoice …"), recorded like the first: each Send is an
invoice_sends row and moves the invoice's sent_at. The PDF is rendered once per Send and
stored with each queued email (mailer.Attachment), so every delivery attempt carries exactly
the invoice as it was when sent.
"""

from datetime import date, datetime

from flask import current_app

import money
from extensions import db
from mailer import Attachment, queue_templated_email
from models import Customer, Invoice, InvoiceSend, Partner
from models._time import utcnow
from services.events import emit
from services.invoice_pdf import render_invoice_pdf
from services.invoices import NotAllowedNow
from templating import format_day as show_date
from tenancy import scoped

SENDABLE = ("open", "paid")


def portal_link(invoice: Invoice) -> str:
    return f"{current_app.config['BASE_URL']}/portal/invoices/{invoice.id}"


def ensure_sendable(invoice: Invoice, customer: Customer) -> None:
    if invoice.status not in SENDABLE:
        what = "a draft: finalize it first" if invoice.is_draft else f"{invoice.status}"
        raise NotAllowedNow(f"{invoice.number or 'This invoice'} is {what}; only an open or paid invoice is sent")
    if not customer.users:
        raise NotAllowedNow(f"{customer.company} has no users to send {invoice.number} to: add one on its Users tab")


def send_invoice(invoice: Invoice, customer: Customer, partner: Partner, *, staff_id: int | None,
                 today: date, now: datetime | None = None) -> InvoiceSend:
    """Queue the invoice's email to each of the customer's users and record the send.
    today: the partner's, for the status the PDF shows."""
    ensure_sendable(invoice, customer)
    now = now or utcnow()
    resend = invoice.sent_at is not None
    pdf = render_invoice_pdf(invoice, customer, partner, today=today)
    attachment = Attachment(pdf.filename, "application/pdf", pdf.content)
    context = dict(invoice=invoice, customer=customer, partner=partner, resend=resend, link=portal_link(invoice),
                   locale=partner.locale,
                   amount=money.format_money(invoice.total, invoice.currency, partner.locale))
    subject = (f"{'Copy of invoice' if resend else 'Invoice'} {invoice.number} from {partner.name}: "
               f"{context['amount']} due {show_date(invoice.due_date, partner.locale)}")
    for user in customer.users:
        queue_templated_email("invoice", to=user.email, subject=subject, ref=f"invoice:{invoice.id}",
                              attachments=(attachment,), user=user, **context)
    sent = InvoiceSend(partner_id=invoice.partner_id, invoice_id=invoice.id, staff_id=staff_id, sent_at=now,
                       recipients=len(customer.users))
    db.session.add(sent)
    invoice.sent_at = now
    db.session.flush()
    emit(invoice.partner_id, "invoice.sent", invoice)
    return sent


def sends(invoice: Invoice) -> list[InvoiceSend]:
    """The invoice's sends, newest first (its page's "Sent" list)."""
    return list(db.session.scalars(
        scoped(InvoiceSend, invoice.partner_id).where(InvoiceSend.invoice_id == invoice.id)
        .order_by(InvoiceSend.id.desc())
    ))
