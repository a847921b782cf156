"""/api/v1/invoices: create (a draft, or finalized; upsert by source and external_id), list with
filters, read, finalize, void, send: the dashboard's form (judge_draft, VoidForm) and services."""

from datetime import UTC

from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

import money
from blueprints.api import bp
from blueprints.api.auth import caller
from blueprints.api.conventions import page, writes
from blueprints.api.customers import ERRORS
from blueprints.api.errors import ApiError
from blueprints.api.schemas import InvoiceIn, InvoiceList, InvoiceOut, InvoiceQuery, VoidIn
from extensions import db
from forms.invoice import VoidForm, judge_draft
from models import Customer, Invoice, Partner
from services import invoice_sending
from services import invoices as service
from services.errors import DomainError, InvalidFields
from tenancy import customers, get_or_404, scoped


def invoice_json(invoice: Invoice) -> dict:
    return {
        "id": invoice.id, "object": "invoice", "customer": invoice.customer_id, "number": invoice.number,
        "status": invoice.status, "currency": invoice.currency, "issue_date": invoice.issue_date,
        "due_date": invoice.due_date, "memo": invoice.memo or "", "subtotal": invoice.subtotal, "tax": invoice.tax,
        "total": invoice.total, "amount_paid": invoice.amount_paid, "source": invoice.source,
        "external_id": invoice.external_id, "void_reason": invoice.void_reason,
        "created": invoice.created_at.replace(tzinfo=UTC),
        "lines": [{"description": line.description, "quantity": money.plain_decimal(line.quantity),
                   "unit_amount": line.unit_price, "tax_rate": money.plain_decimal(line.tax_rate) or None,
                   "amount": line.amount, "tax": line.tax} for line in invoice.lines],
    }


def _partner() -> Partner:
    return db.session.get(Partner, caller().partner_id)


def _invoice(invoice_id: int) -> Invoice:
    return get_or_404(Invoice, caller().partner_id, invoice_id)


def _unit_text(cents: int) -> str:
    """unit_amount (minor units) as the form's Unit price field would hold it."""
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


@bp.post("/invoices")
@writes
@bp.input(InvoiceIn, arg_name="body")
@bp.output(InvoiceOut, status_code=201, description="Created")
@bp.doc(summary="Create an invoice as a draft (or finalized), or update the one its source and external_id name",
        responses={200: {"description": "Updated: an invoice with this source and external_id existed",
                         "content": {"application/json": {"schema": InvoiceOut}}},
                   404: "No such customer", **{code: "Error" for code in ERRORS}})
def create_invoice(body: dict):
    who = caller()
    customer = db.session.scalar(customers(who.partner_id).where(Customer.id == body["customer"]))
    if customer is None:
        raise ApiError(404, "No such customer (or not yours)", code="resource_missing", param="customer")
    today = service.partner_today(_partner())
    values = judge_draft({
        "issue_date": body.get("issue_date") or today.isoformat(), "due_date": body.get("due_date"),
        "memo": body.get("memo"),
        "lines": [{"description": line.get("description"), "quantity": line.get("quantity"),
                   "unit_price": _unit_text(line["unit_amount"]), "tax_rate": line.get("tax_rate")}
                  for line in body["lines"]],
    })
    source, external_id = body.get("source"), body.get("external_id")
    invoice, outcome = service.upsert_invoice(
        customer, values, source=source or ("api" if external_id else None), external_id=external_id,
        staff_id=who.staff_id, finalize_on=today if body["finalize"] else None)
    return invoice_json(invoice), 201 if outcome == "created" else 200


@bp.get("/invoices")
@bp.input(InvoiceQuery, location="query", arg_name="args")
@bp.output(InvoiceList)
@bp.doc(summary="List invoices, newest first; status (overdue: open and past due) and customer filter",
        responses=[400, 401])
def list_invoices(args: dict):
    query = scoped(Invoice, caller().partner_id).options(selectinload(Invoice.lines))
    status = args.get("status")
    if status == "overdue":
        query = query.where(Invoice.status == "open", Invoice.due_date < service.partner_today(_partner()))
    elif status:
        query = query.where(Invoice.status == status)
    if "customer" in args:
        query = query.where(Invoice.customer_id == args["customer"])
    return page(query, Invoice.id, args, invoice_json)


@bp.get("/invoices/<int:invoice_id>")
@bp.output(InvoiceOut)
@bp.doc(summary="Read an invoice", responses=[401, 404])
def get_invoice(invoice_id: int):
    return invoice_json(_invoice(invoice_id))


@bp.post("/invoices/<int:invoice_id>/finalize")
@writes
@bp.output(InvoiceOut)
@bp.doc(summary="Finalize a draft: it takes the next number", responses=[*ERRORS, 404])
def finalize(invoice_id: int):
    invoice = _invoice(invoice_id)
    service.finalize(invoice, today=service.partner_today(_partner()))
    return invoice_json(invoice)


@bp.post("/invoices/<int:invoice_id>/void")
@writes
@bp.input(VoidIn, arg_name="body")
@bp.output(InvoiceOut)
@bp.doc(summary="Void an open invoice, with the reason it shows", responses=[*ERRORS, 404])
def void(invoice_id: int, body: dict):
    invoice = _invoice(invoice_id)
    service.ensure_voidable(invoice)  # the state's answer (409) comes before the reason's, as on the page
    form = VoidForm(formdata=MultiDict({"reason": body.get("reason") or ""}), meta={"csrf": False})
    if not form.validate():
        raise InvalidFields([DomainError(form.reason.errors[0], field="reason")])
    service.void(invoice, form.reason.data)
    return invoice_json(invoice)


@bp.post("/invoices/<int:invoice_id>/send")
@writes
@bp.output(InvoiceOut)
@bp.doc(summary="Email the invoice (its PDF attached) to the customer's users", responses=[*ERRORS, 404])
def send(invoice_id: int):
    invoice = _invoice(invoice_id)
    partner = _partner()
    customer = get_or_404(Customer, partner.id, invoice.customer_id)
    invoice_sending.send_invoice(invoice, customer, partner, staff_id=caller().staff_id,
                                 today=service.partner_today(partner))
    return invoice_json(invoice)
