"""The portal's invoices: the chosen company's list, each invoice's page and its PDF.

A login sees the invoices of the companies it is a user of, never a draft; anything else is
a 404. Opening an invoice of another of the login's companies (an emailed link) switches the
portal to that company. The first view (page or PDF, on GET) is recorded for the partner.
"""

from flask import Blueprint, abort, render_template, request

from blueprints.invoice_documents import pdf_response
from blueprints.portal import InView, choose_company, portal_view
from extensions import db
from models import Partner
from services import portal_invoices
from services.invoice_pdf import render_invoice_pdf
from services.invoices import display_status, partner_today
from unit_of_work import unit_of_work

bp = Blueprint("portal_invoices", __name__, url_prefix="/portal")


@bp.get("/invoices")
@portal_view()
def index(view: InView):
    customer = view.membership.customer
    partner = db.session.get(Partner, customer.partner_id)
    today = partner_today(partner)
    invoices = portal_invoices.company_invoices(customer)
    return render_template("portal/invoices.html", customer=customer, locale=partner.locale,
                           rows=[(invoice, display_status(invoice, today)) for invoice in invoices],
                           several=len(view.memberships) > 1)


def _viewed(view: InView, invoice_id: int):
    """(the invoice, its customer, its partner); 404 if not the login's."""
    invoice = portal_invoices.find(view.customers, invoice_id)
    if invoice is None:
        abort(404)
    customer = view.membership_for(invoice.customer_id).customer
    choose_company(invoice.customer_id)
    if request.method == "GET" and invoice.first_viewed_at is None:
        with unit_of_work():
            portal_invoices.record_first_view(invoice)
    return invoice, customer, db.session.get(Partner, invoice.partner_id)


@bp.get("/invoices/<int:invoice_id>")
@portal_view(chosen=False)
def show(view: InView, invoice_id: int):
    invoice, customer, partner = _viewed(view, invoice_id)
    return render_template("portal/invoice.html", invoice=invoice, customer=customer, partner=partner,
                           locale=partner.locale, shown_status=display_status(invoice, partner_today(partner)))


@bp.get("/invoices/<int:invoice_id>.pdf")
@portal_view(chosen=False)
def pdf(view: InView, invoice_id: int):
    invoice, customer, partner = _viewed(view, invoice_id)
    return pdf_response(render_invoice_pdf(invoice, customer, partner, today=partner_today(partner)))
