"""The portal's invoices: the chosen company's list, each invoice's page and its PDF.

A login sees the invoices of the companies it is a user of, never a draft; anything else is
a 404. Opening an invoice of another of the login's companies (an emailed link) switches the
portal to that company. The first view (page or PDF, on GET) is recorded for the partner.
"""

from flask import Blueprint, abort, render_template, request

from blueprints.invoice_documents import pdf_response
from blueprints.portal import choose_company, company_in_view, memberships_of, require_account
from extensions import db
from models import Partner
from services import portal_invoices
from services.invoice_pdf import render_invoice_pdf
from services.invoices import display_status, partner_today
from unit_of_work import unit_of_work

bp = Blueprint("portal_invoices", __name__, url_prefix="/portal")


@bp.get("/invoices")
def index():
    view, answer = company_in_view()
    if answer is not None:
        return answer
    customer = view.membership.customer
    partner = db.session.get(Partner, customer.partner_id)
    today = partner_today(partner)
    invoices = portal_invoices.company_invoices(customer)
    return render_template("portal/invoices.html", customer=customer, locale=partner.locale,
                           rows=[(invoice, display_status(invoice, today)) for invoice in invoices],
                           several=len(view.memberships) > 1)


def _viewed(invoice_id: int):
    """(the invoice, its customer, its partner), or the sign-in redirect; 404 if not the login's."""
    account, redirect_ = require_account()
    if redirect_:
        return None, redirect_
    customers = [membership.customer for membership in memberships_of(account)]
    invoice = portal_invoices.find(customers, invoice_id)
    if invoice is None:
        abort(404)
    choose_company(invoice.customer_id)
    if request.method == "GET" and invoice.first_viewed_at is None:
        with unit_of_work():
            portal_invoices.record_first_view(invoice)
    customer = next(c for c in customers if c.id == invoice.customer_id)
    return (invoice, customer, db.session.get(Partner, invoice.partner_id)), None


@bp.get("/invoices/<int:invoice_id>")
def show(invoice_id: int):
    found, answer = _viewed(invoice_id)
    if answer is not None:
        return answer
    invoice, customer, partner = found
    return render_template("portal/invoice.html", invoice=invoice, customer=customer, partner=partner,
                           locale=partner.locale, shown_status=display_status(invoice, partner_today(partner)))


@bp.get("/invoices/<int:invoice_id>.pdf")
def pdf(invoice_id: int):
    found, answer = _viewed(invoice_id)
    if answer is not None:
        return answer
    invoice, customer, partner = found
    return pdf_response(render_invoice_pdf(invoice, customer, partner, today=partner_today(partner)))
