"""/api/v1/payments and /api/v1/payment_methods: payments (list, read, record one received
elsewhere, through the dashboard's RecordPaymentForm and services.payments) and saved payment
methods (list, read: the kind, brand and last four digits, never a number)."""

from datetime import UTC

from werkzeug.datastructures import MultiDict

from blueprints.api import bp
from blueprints.api.auth import caller
from blueprints.api.conventions import page, writes
from blueprints.api.customers import ERRORS
from blueprints.api.invoices import _partner, _unit_text
from blueprints.api.schemas import (
    MethodList,
    MethodOut,
    MethodQuery,
    OfflinePaymentIn,
    PaymentList,
    PaymentOut,
    PaymentQuery,
)
from forms.payment import RecordPaymentForm
from models import Invoice, Payment, PaymentMethod
from services import payments as service
from services.errors import DomainError, InvalidFields
from services.invoices import partner_today
from tenancy import get_or_404, scoped


def payment_json(payment: Payment) -> dict:
    return {
        "id": payment.id, "object": "payment", "invoice": payment.invoice_id, "customer": payment.customer_id,
        "amount": payment.amount, "currency": payment.currency, "surcharge": payment.surcharge,
        "refunded": payment.refunded, "kind": payment.kind, "method_label": payment.method_label,
        "status": payment.status, "paid_on": payment.paid_on, "reference": payment.reference,
        "failure_message": payment.failure_message, "created": payment.created_at.replace(tzinfo=UTC),
    }


def method_json(method: PaymentMethod) -> dict:
    return {
        "id": method.id, "object": "payment_method", "customer": method.customer_id, "kind": method.kind,
        "brand": method.brand, "last4": method.last4, "exp_month": method.exp_month, "exp_year": method.exp_year,
        "country": method.country, "is_default": method.is_default, "archived": method.archived_at is not None,
        "created": method.created_at.replace(tzinfo=UTC),
    }


@bp.get("/payments")
@bp.input(PaymentQuery, location="query", arg_name="args")
@bp.output(PaymentList)
@bp.doc(summary="List payments, newest first; invoice and customer filters", responses=[400, 401])
def list_payments(args: dict):
    query = scoped(Payment, caller().partner_id)
    if "invoice" in args:
        query = query.where(Payment.invoice_id == args["invoice"])
    if "customer" in args:
        query = query.where(Payment.customer_id == args["customer"])
    return page(query, Payment.id, args, payment_json)


@bp.get("/payments/<int:payment_id>")
@bp.output(PaymentOut)
@bp.doc(summary="Read a payment", responses=[401, 404])
def get_payment(payment_id: int):
    return payment_json(get_or_404(Payment, caller().partner_id, payment_id))


@bp.post("/invoices/<int:invoice_id>/payments")
@writes
@bp.input(OfflinePaymentIn, arg_name="body")
@bp.output(PaymentOut, status_code=201, description="Recorded")
@bp.doc(summary="Record a payment received elsewhere (check, wire, cash, other)", responses=[*ERRORS, 404])
def record_payment(invoice_id: int, body: dict):
    invoice = get_or_404(Invoice, caller().partner_id, invoice_id)
    form = RecordPaymentForm(formdata=MultiDict({
        "amount": _unit_text(body["amount"]),
        "paid_on": body.get("paid_on") or partner_today(_partner()).isoformat(),
        "method": body.get("method") or "", "reference": body.get("reference") or "",
    }), meta={"csrf": False})
    if not form.validate():
        raise InvalidFields([DomainError(field.errors[0], field=name) for name, field in form._fields.items()
                             if field.errors])
    payment = service.record_offline(invoice, form.amount.data, form.paid_on.data, form.method.data,
                                     form.reference.data, staff_id=caller().staff_id)
    return payment_json(payment)


@bp.get("/payment_methods")
@bp.input(MethodQuery, location="query", arg_name="args")
@bp.output(MethodList)
@bp.doc(summary="List saved payment methods, newest first; customer filter", responses=[400, 401])
def list_payment_methods(args: dict):
    query = scoped(PaymentMethod, caller().partner_id)
    if "customer" in args:
        query = query.where(PaymentMethod.customer_id == args["customer"])
    return page(query, PaymentMethod.id, args, method_json)


@bp.get("/payment_methods/<int:method_id>")
@bp.output(MethodOut)
@bp.doc(summary="Read a saved payment method", responses=[401, 404])
def get_payment_method(method_id: int):
    return method_json(get_or_404(PaymentMethod, caller().partner_id, method_id))
