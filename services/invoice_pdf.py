"""An invoice as a PDF: templates/invoices/pdf.html (with its stylesheet pdf.css, both for a
designer to edit) rendered by WeasyPrint.

The same figures as every page (the stored lines and sums, formatted by money.format_money).
WeasyPrint fetches nothing: only data: URLs are allowed (the partner's logo is embedded as
one), and the fonts are the machine's own, so a template that names a web font or an image
on the network renders without it instead of reaching out.
"""

import base64
from dataclasses import dataclass
from datetime import date

from flask import render_template

from extensions import db
from models import Customer, Invoice, Partner
from services.invoices import display_status

# WeasyPrint's own fetcher, refusing every protocol but data: (no http, https, ftp or file).
_LOCAL_ONLY = {"allowed_protocols": ("data",)}


@dataclass(frozen=True)
class InvoicePdf:
    filename: str  # "INV-0001.pdf", "draft-12.pdf"
    content: bytes


def _logo_url(partner: Partner) -> str | None:
    logo = db.session.scalar(db.select(Partner.logo).where(Partner.id == partner.id))
    if not logo or not partner.logo_type:
        return None
    return f"data:{partner.logo_type};base64,{base64.b64encode(logo).decode()}"


def filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf" if invoice.number else f"draft-{invoice.id}.pdf"


def render_invoice_pdf(invoice: Invoice, customer: Customer, partner: Partner, *, today: date) -> InvoicePdf:
    """The invoice's PDF. A draft is marked DRAFT across every page, a void one VOID with its reason.
    today: the partner's (services.invoices.partner_today), for the status shown."""
    html = render_template(
        "invoices/pdf.html", invoice=invoice, customer=customer, partner=partner, locale=partner.locale,
        shown_status=display_status(invoice, today), logo_url=_logo_url(partner),
    )
    # Imported here, by the few requests that make a PDF: WeasyPrint (with Pango and its fonts)
    # adds half a second and some 25 MB to every worker that imports it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    content = HTML(string=html, url_fetcher=URLFetcher(**_LOCAL_ONLY)).write_pdf()
    return InvoicePdf(filename(invoice), content)
