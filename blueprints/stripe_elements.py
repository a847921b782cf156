"""Adding a card with PAYMENT_GATEWAY=stripe: the page that hosts Stripe's card element.

It plays the part the sandbox's hosted forms play (blueprints.PROCESSOR_PAGES: registered only
for the stripe gateway): the app links here with `return_to`, and the payer goes back there
with `?token=…` (blueprints.payment_method_flow.receive saves the method). The card's details
never reach the app: Stripe's element takes them and Stripe.js confirms a SetupIntent made for
this visit (its id waits in the session); the page posts only the PaymentMethod id Stripe hands
back, and it goes back only once Stripe confirms this visit's SetupIntent saved that method.

Only this page lets the browser load Stripe.js (its Content-Security-Policy names Stripe's origins).
"""

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, make_response, render_template, request, session, url_for
from flask_login import current_user

from blueprints.payment_method_flow import back_with_token
from payments import gateway_for
from payments.gateway import GatewayError
from request_input import safe_next
from web import content_security_policy

bp = Blueprint("stripe_elements", __name__, url_prefix="/payment-methods/stripe")

SETUP = "stripe_setup_intent"  # the session's SetupIntent id, between the page and its post


def add_links(return_to: str) -> list[tuple[str, str]]:
    """The link to the card page, coming back to return_to (blueprints.PROCESSOR_PAGES)."""
    return [("Add a card", url_for("stripe_elements.card", return_to=return_to))]


@bp.route("/card", methods=["GET", "POST"])
def card():
    # Each visit makes a Stripe Customer and a SetupIntent: only for someone signed in (a
    # partner's staff or a portal user), who came from a page of the app.
    if not current_user.is_authenticated:
        abort(403)
    return_to = safe_next(request.values.get("return_to"), "")
    if not return_to:
        abort(400, "The page was opened without a valid return address on the app.")
    gateway = gateway_for(current_app)
    error = ""
    if request.method == "POST":
        token = request.form.get("payment_method", "").strip()
        try:
            gateway.finish_setup(session.get(SETUP, ""), token)
        except GatewayError as refused:
            error = refused.message
        else:
            session.pop(SETUP, None)
            return back_with_token(return_to, token)
    try:
        setup = gateway.start_setup("card", urlsplit(return_to).path)  # not the query: it holds the state
    except GatewayError as refused:
        setup, error, status = None, refused.message, 503
    else:
        session[SETUP] = setup.id
        status = 422 if error else 200
    response = make_response(render_template("stripe_elements/card.html", setup=setup, error=error,
                                              return_to=return_to), status)
    response.headers["Content-Security-Policy"] = content_security_policy(**gateway.settings.browser_sources)
    return response
