"""The Payment methods tab: the customer's active methods; staff add one through the
processor's form (and come back here), archive one, or choose the default."""

from flask import abort, redirect, request
from flask_login import current_user

from blueprints.customer_page.shell import bp, done, register_tab, tab_url
from blueprints.payment_method_flow import add_links, receive
from services import payment_methods, payments
from tenancy import current_partner, get_customer_or_404
from unit_of_work import unit_of_work


def methods_context(customer) -> dict:
    return {"methods": payment_methods.active_methods(customer),
            "add_links": add_links("customer_page.payment_methods_added", customer_id=customer.id),
            "partner": current_partner()}


register_tab(bp, "payment_methods", "Payment methods", "/payment-methods", "customers/_payment_methods.html",
             order=40, context=methods_context)


@bp.get("/payment-methods/added")
def payment_methods_added(customer_id: int):
    """The way back from the processor's form."""
    customer = get_customer_or_404(customer_id)
    receive(customer, staff_id=current_user.id)
    return redirect(tab_url(customer, "payment_methods"), code=303)


# What each button does, and what the tab says after it.
CHANGES = {
    "archive": (payment_methods.archive, "Archived {}."),
    "default": (payment_methods.make_default, "{} is now the default."),
}


@bp.post("/payment-methods/<int:method_id>/<any(archive, default):change>")
def change_payment_method(customer_id: int, method_id: int, change: str):
    customer = get_customer_or_404(customer_id)
    method = payment_methods.find_method(customer, method_id)
    if method is None:
        abort(404)
    act, said = CHANGES[change]
    with unit_of_work():
        act(method, staff_id=current_user.id)
    return done(customer, "payment_methods", said.format(payment_methods.label(method)))


@bp.post("/payment-methods/surcharge")
def surcharge(customer_id: int):
    """Exempt the customer from the card surcharge (exempt=y), or charge it again (exempt=n)."""
    customer = get_customer_or_404(customer_id)
    exempt = {"y": True, "n": False}.get(request.form.get("exempt", ""))
    if exempt is None:
        abort(400)
    with unit_of_work():
        payments.set_surcharge_exempt(customer, exempt, staff_id=current_user.id)
    said = "no card surcharge" if exempt else "the card surcharge again"
    return done(customer, "payment_methods", f"{customer.company} pays {said}.")
