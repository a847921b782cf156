"""Payments on the dashboard: record one received elsewhere on the invoice page, a payment's
page with its refunds, and refunds of card payments through the processor. Every POST
answers 303 back to the invoice; a refused amount is the page again with the message by it."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

import money
from blueprints.guards import require_staff
from blueprints.invoices import show as invoice_page
from forms import show_error
from forms.payment import RecordPaymentForm, RefundForm
from models import Invoice, Payment
from services import payments as service
from services.errors import DomainError
from tenancy import current_partner, current_partner_id, get_customer_or_404, get_or_404
from unit_of_work import unit_of_work

bp = Blueprint("payments", __name__)
require_staff(bp)


def _refund_form() -> RefundForm:
    return RefundForm(formdata=None, data={"key": service.new_attempt_key()})


@bp.post("/invoices/<int:invoice_id>/payments")
def record(invoice_id: int):
    invoice = get_or_404(Invoice, current_partner_id(), invoice_id)
    form = RecordPaymentForm()
    if form.validate():
        try:
            with unit_of_work():
                payment = service.record_offline(invoice, form.amount.data, form.paid_on.data, form.method.data,
                                                 form.reference.data, staff_id=current_user.id)
        except DomainError as error:
            if error.status == 409:
                raise
            show_error(form, error)
        else:
            flash(f"Payment of {money.format_money(payment.amount, payment.currency, current_partner().locale)} "
                  "recorded", "success")
            return redirect(url_for("invoices.show", invoice_id=invoice.id), code=303)
    return invoice_page(invoice_id, status=422, payment_form=form)


@bp.get("/payments/<int:payment_id>")
def show(payment_id: int, *, form: RefundForm | None = None, status: int = 200):
    payment = get_or_404(Payment, current_partner_id(), payment_id)
    invoice = get_or_404(Invoice, current_partner_id(), payment.invoice_id)
    return render_template("payments/show.html", payment=payment, invoice=invoice,
                           customer=get_customer_or_404(invoice.customer_id), locale=current_partner().locale,
                           form=form or _refund_form(), failed=status >= 400), status


@bp.post("/payments/<int:payment_id>/refund")
def refund(payment_id: int):
    payment = get_or_404(Payment, current_partner_id(), payment_id)
    form = RefundForm()
    if form.validate():
        try:
            with unit_of_work():
                service.refund(payment, form.amount.data, staff_id=current_user.id, key=form.key.data or None)
        except DomainError as error:
            if error.status == 409:
                raise
            show_error(form, error)
        else:
            flash("Refund made", "success")
            return redirect(url_for("invoices.show", invoice_id=payment.invoice_id), code=303)
    return show(payment_id, form=form, status=422)
