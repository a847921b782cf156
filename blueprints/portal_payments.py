"""Paying in the portal: the pay page (the chosen company's open invoices, each in full or in
part, with a saved method), and the receipt.

The pay page draws a new attempt key into its form each time it is drawn; the key goes to the
processor with the charge, so a double click, a resubmitted form or two tabs charge once
(services.payments.pay). A decline is the pay page again with the processor's reason, the
choices kept and a new key (the declined one stays declined at the processor). "Add a payment
method" posts the choices too: the payment methods page, then the processor's form, lead back
to the pay page drawn with them (its query: invoice, amount-<id>, payment_method).
"""

from dataclasses import dataclass, field

from flask import Blueprint, abort, render_template, request, url_for
from flask import redirect as go
from werkzeug.datastructures import MultiDict

import money
from blueprints.portal import InView, portal_view
from extensions import db
from forms.rules import RuleError, parse_amount
from models import Customer, Invoice, Partner, Payment, PaymentAttempt
from request_input import int_value
from services import payment_methods
from services import payments as service
from services.errors import DomainError
from tenancy import scoped

bp = Blueprint("portal_payments", __name__, url_prefix="/portal")


@dataclass
class PayChoices:
    """What the pay form holds: as drawn first, or as posted (kept when refused)."""

    invoice_ids: set[int]
    amounts: dict[int, str]  # as typed
    method_id: int | None
    key: str
    errors: dict[str, str] = field(default_factory=dict)


def _choices(values: MultiDict, invoices: list[Invoice], key: str) -> PayChoices:
    """The choices a query (the pay page drawn again) or a posted form holds."""
    return PayChoices(
        {number for number in (int_value(value, low=1) for value in values.getlist("invoice")) if number},
        {invoice.id: values.get(f"amount-{invoice.id}", "") for invoice in invoices},
        int_value(values.get("payment_method"), low=1), key[:64],
    )


def _open_invoices(customer: Customer) -> list[Invoice]:
    return [invoice for invoice in db.session.scalars(
        scoped(Invoice, customer.partner_id)
        .where(Invoice.customer_id == customer.id, Invoice.status == "open")
        .order_by(Invoice.due_date, Invoice.id)
    ) if invoice.balance > 0]


def _render(customer: Customer, partner: Partner, invoices: list[Invoice], choices: PayChoices, *,
            status: int = 200, declined: str | None = None):
    methods = payment_methods.active_methods(customer)
    surcharges = {method.id: money.plain_decimal(service.surcharge_percent(partner, customer, method.kind))
                  for method in methods}
    return render_template(
        "portal/pay.html", customer=customer, partner=partner, locale=partner.locale, invoices=invoices,
        methods=methods, surcharges=surcharges, labels={m.id: payment_methods.label(m) for m in methods},
        choices=choices, declined=declined, failed=status >= 400,
    ), status


@bp.route("/pay", methods=["GET", "POST"])
@portal_view()
def pay(view: InView):
    customer = view.membership.customer
    partner = db.session.get(Partner, customer.partner_id)
    invoices = _open_invoices(customer)
    if request.method == "GET":  # ?invoice=<id> from an invoice's Pay button, or choices coming back
        choices = _choices(request.args, invoices, service.new_attempt_key())
        if not (choices.method_id and payment_methods.find_method(customer, choices.method_id)):
            default = payment_methods.default_method(customer)
            choices.method_id = default.id if default else None
        return _render(customer, partner, invoices, choices)
    choices = _choices(request.form, invoices, request.form.get("attempt", ""))
    if request.form.get("action") == "add-method":
        back = url_for(".pay", invoice=sorted(choices.invoice_ids),
                       **{f"amount-{number}": amount for number, amount in choices.amounts.items() if amount})
        return go(url_for("portal_payment_methods.index", next=back), code=303)
    if request.form.get("action") != "pay":
        abort(400)
    done = service.recorded(partner.id, request.form.get("attempt", ""))
    if done is not None:  # a double click or a resubmitted form: the first one's receipt
        return go(url_for(".receipt", payment_id=done.payments[0].id), code=303)
    if not request.form.get("attempt"):
        abort(400)
    by_id = {invoice.id: invoice for invoice in invoices}
    shares = _shares(choices, by_id)
    method = payment_methods.find_method(customer, choices.method_id) if choices.method_id else None
    if method is None:
        choices.errors["payment_method"] = "Choose how to pay"
    if choices.errors:
        return _render(customer, partner, invoices, choices, status=422)
    try:
        attempt = service.pay(customer, shares, method, choices.key, portal_account_id=view.account.id)
    except service.PaymentFailed as failed:
        choices.key = service.new_attempt_key()
        return _render(customer, partner, invoices, choices, status=402, declined=failed.message)
    except DomainError as error:
        if error.status == 409:
            raise
        choices.errors[error.field or "invoice"] = error.message
        return _render(customer, partner, invoices, choices, status=422)
    return go(url_for(".receipt", payment_id=attempt.payments[0].id), code=303)


def _shares(choices: PayChoices, by_id: dict[int, Invoice]) -> list[service.Share]:
    """The chosen invoices with their amounts (each its balance unless typed); refused amounts
    go to choices.errors by their field."""
    if not choices.invoice_ids:
        choices.errors["invoice"] = "Choose at least one invoice to pay"
    shares = []
    for invoice_id in sorted(choices.invoice_ids):
        invoice = by_id.get(invoice_id)
        if invoice is None:  # paid meanwhile, or not this company's
            choices.errors["invoice"] = "One of the invoices chosen is no longer open: choose again"
            continue
        try:
            amount = parse_amount(choices.amounts.get(invoice_id), required=False)
        except RuleError as error:
            choices.errors[f"amount-{invoice_id}"] = str(error)
            continue
        shares.append(service.Share(invoice, invoice.balance if amount is None else amount))
    return shares


@bp.get("/payments/<int:payment_id>")
@portal_view(chosen=False)
def receipt(view: InView, payment_id: int):
    payment = db.session.scalar(db.select(Payment).where(
        Payment.id == payment_id, Payment.customer_id.in_([m.customer_id for m in view.memberships] or [0])))
    if payment is None:
        abort(404)
    customer = view.membership_for(payment.customer_id).customer
    if payment.partner_id != customer.partner_id:
        abort(404)
    partner = db.session.get(Partner, customer.partner_id)
    payments = payment.attempt.payments if payment.attempt_id else [payment]
    invoices = {invoice.id: invoice for invoice in db.session.scalars(
        scoped(Invoice, partner.id).where(Invoice.id.in_([p.invoice_id for p in payments])))}
    attempt: PaymentAttempt | None = payment.attempt
    return render_template("portal/receipt.html", customer=customer, partner=partner, locale=partner.locale,
                           payments=payments, invoices=invoices, attempt=attempt, first=payments[0])
