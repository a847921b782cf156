"""An invoice's documents on the dashboard: its PDF (a draft's marked DRAFT) and Send, which
emails it with the PDF to every user of its customer (a second Send is a resend)."""

from flask import Blueprint, Response, flash, redirect, url_for
from flask_login import current_user

from blueprints.guards import require_staff
from models import Invoice
from services import invoice_sending
from services.invoice_pdf import InvoicePdf, render_invoice_pdf
from services.invoices import partner_today
from tenancy import current_partner, current_partner_id, get_customer_or_404, get_or_404
from unit_of_work import unit_of_work

bp = Blueprint("invoice_documents", __name__)
require_staff(bp)


def pdf_response(pdf: InvoicePdf) -> Response:
    """Shown in the browser's viewer; saved under the invoice's number."""
    response = Response(pdf.content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{pdf.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/invoices/<int:invoice_id>.pdf")
def pdf(invoice_id: int):
    invoice = get_or_404(Invoice, current_partner_id(), invoice_id)
    partner = current_partner()
    customer = get_customer_or_404(invoice.customer_id)
    return pdf_response(render_invoice_pdf(invoice, customer, partner, today=partner_today(partner)))


@bp.post("/invoices/<int:invoice_id>/send")
def send(invoice_id: int):
    invoice = get_or_404(Invoice, current_partner_id(), invoice_id)
    partner = current_partner()
    customer = get_customer_or_404(invoice.customer_id)
    with unit_of_work():
        sent = invoice_sending.send_invoice(invoice, customer, partner, staff_id=current_user.id,
                                            today=partner_today(partner))
    users = "1 user" if sent.recipients == 1 else f"{sent.recipients} users"
    flash(f"{invoice.number} sent to {users} of {customer.company}", "success")
    return redirect(url_for("invoices.show", invoice_id=invoice.id), code=303)
