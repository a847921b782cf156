"""Adding a card or a US bank account with PAYMENT_GATEWAY=stripe: the pages that host Stripe's
elements (the card element; for a bank, Stripe.js's collectBankAccountForSetup and its bank sign-in).

It plays the part the sandbox's hosted forms play (blueprints.PROCESSOR_PAGES: registered only
for the stripe gateway): the app links here with `return_to`, and the payer goes back there
with `?token=…` (blueprints.payment_method_flow.receive saves the method). The card's details
never reach the app: Stripe's element takes them and Stripe.js confirms a SetupIntent made for
this visit (its id waits in the session); the page posts only the PaymentMethod id Stripe hands
back, and it goes back only once Stripe confirms this visit's SetupIntent saved that method.

Only this page lets the browser load Stripe.js (its Content-Security-Policy names Stripe's origins).
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, make_response, render_template, request, session, url_for
from flask_login import current_user

from blueprints.payment_method_flow import back_with_token
from payments import gateway_for
from payments.gateway import GatewayError
from payments.sandbox import ACH_AUTHORIZATION
from request_input import safe_next
from web import content_security_policy

bp = Blueprint("stripe_elements", __name__, url_prefix="/payment-methods/stripe")

SETUP = "stripe_setup_intent"  # the session's SetupIntent id per kind, between the page and its post


@dataclass(frozen=True)
class Kind:
    """One kind of method Stripe's elements add: the gateway's setup kind and the page's words."""

    setup_kind: str  # StripeGateway.start_setup's kind
    link: str
    template: str
    mandate: str = ""  # the debit authorization the page shows; confirming accepts it


# Canadian accounts (acss_debit) are not offered: Stripe wants the PAD agreement's schedule and
# currency in the SetupIntent's mandate options, which the gateway does not send.
KINDS = {
    "card": Kind("card", "Add a card", "stripe_elements/card.html"),
    "bank": Kind("us_bank_account", "Add a bank account", "stripe_elements/bank.html", ACH_AUTHORIZATION),
}


def add_links(return_to: str) -> list[tuple[str, str]]:
    """The links to each kind's page, coming back to return_to (blueprints.PROCESSOR_PAGES)."""
    return [(kind.link, url_for("stripe_elements.add", kind=name, return_to=return_to))
            for name, kind in KINDS.items()]


@bp.route("/<any(card, bank):kind>", methods=["GET", "POST"])
def add(kind: str):
    # Each visit makes a Stripe Customer and a SetupIntent: only for someone signed in (a
    # partner's staff or a portal user), who came from a page of the app.
    if not current_user.is_authenticated:
        abort(403)
    return_to = safe_next(request.values.get("return_to"), "")
    if not return_to:
        abort(400, "The page was opened without a valid return address on the app.")
    page, key = KINDS[kind], f"{SETUP}:{kind}"
    gateway = gateway_for(current_app)
    error = ""
    if request.method == "POST":
        token = request.form.get("payment_method", "").strip()
        try:
            # Only a SetupIntent that succeeded: a bank account Stripe could not verify at once
            # (microdeposits) is never offered (start_setup asks for instant verification).
            gateway.finish_setup(session.get(key, ""), token)
        except GatewayError as refused:
            error = refused.message
        else:
            session.pop(key, None)
            return back_with_token(return_to, token)
    try:
        setup = gateway.start_setup(page.setup_kind, urlsplit(return_to).path)  # not the query: it holds the state
    except GatewayError as refused:
        setup, error, status = None, refused.message, 503
    else:
        session[key] = setup.id
        status = 422 if error else 200
    response = make_response(render_template(page.template, setup=setup, error=error, return_to=return_to,
                                              page=page), status)
    response.headers["Content-Security-Policy"] = content_security_policy(**gateway.settings.browser_sources)
    return response
