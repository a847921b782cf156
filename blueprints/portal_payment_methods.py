"""The portal's payment methods: the chosen company's list, adding (through the processor's
form and back), archiving and choosing the default. Form posts and redirects: no JavaScript needed.
Opened with `next` (the pay page's "Add a payment method"), the way back returns there.

A method of another company, or of another partner's customer, is a 404.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from blueprints.payment_method_flow import add_links, receive, way_back
from blueprints.portal import InView, choose_company, portal_view
from request_input import int_value, safe_next
from services import payment_methods
from unit_of_work import unit_of_work

bp = Blueprint("portal_payment_methods", __name__, url_prefix="/portal/payment-methods")


@bp.get("")
@portal_view()
def index(view: InView):
    customer = view.membership.customer
    back = safe_next(request.args.get("next"), "")
    return render_template("portal/payment_methods.html", customer=customer, back=back,
                           methods=payment_methods.active_methods(customer),
                           add_links=add_links("portal_payment_methods.added", next_page=back, customer=customer.id))


@bp.get("/added")
@portal_view()
def added(view: InView):
    """The way back from the processor's form, for the company the links were drawn for."""
    membership = view.membership_for(int_value(request.args.get("customer"), low=1))
    choose_company(membership.customer_id)
    return way_back(url_for(".index"), receive(membership.customer, user=membership))


# What each button does, and what the page says after it.
CHANGES = {
    "archive": (payment_methods.archive, "Removed {}."),
    "default": (payment_methods.make_default, "{} is now the default."),
}


@bp.post("/<int:method_id>/<any(archive, default):change>")
@portal_view()
def change(view: InView, method_id: int, change: str):
    method = payment_methods.find_method(view.membership.customer, method_id)
    if method is None:
        abort(404)
    act, said = CHANGES[change]
    with unit_of_work():
        act(method, user=view.membership)
    flash(said.format(payment_methods.label(method)), "success")
    return redirect(url_for(".index"), code=303)
