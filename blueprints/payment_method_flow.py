"""Adding a payment method, the app's half: links to the processor's forms and the way back.

The processor's form (blueprints.PROCESSOR_PAGES) takes the details and sends the payer back
to `return_to` with `?token=…`. The way back is a GET that saves a method, so it carries a
`state` this browser's session made when it drew the links: a link made elsewhere (someone
else's token, planted in a link) is refused, and the token never lands on the wrong customer.
It may carry a `next` too, a path on this site (request_input.safe_next): the page the payer
goes back to afterwards (the pay page they came from), told which method was added.
"""

import hmac
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import abort, current_app, flash, redirect, request, session, url_for

from models import PaymentMethod
from payments import gateway_for
from request_input import safe_next
from services import payment_methods
from unit_of_work import unit_of_work

_STATE = "payment_method_state"


def _state() -> str:
    if _STATE not in session:
        session[_STATE] = secrets.token_urlsafe(24)
    return session[_STATE]


def add_links(endpoint: str, *, next_page: str | None = None, **values) -> list[tuple[str, str]]:
    """(text, href) of each processor form ("Add a card", "Add a bank account"), each coming back
    to `endpoint` (the receiving view) with this session's state, and with next_page when it is
    a path on this site (anything else is dropped)."""
    pages = current_app.extensions.get("processor_pages")
    if pages is None:
        return []
    return pages.add_links(url_for(endpoint, state=_state(), next=safe_next(next_page, "") or None, **values))


def _with_query(path: str, *pairs: tuple[str, str]) -> str:
    parts = urlsplit(path)
    return urlunsplit(("", "", parts.path, urlencode([*parse_qsl(parts.query, keep_blank_values=True), *pairs]), ""))


def back_with_token(return_to: str, token: str):
    """The processor's page hands the token back: 303 to return_to with the token added to its query."""
    return redirect(_with_query(return_to, ("token", token)), code=303)


def way_back(default: str, added: PaymentMethod | None):
    """After receive: 303 to the way back's `next` (a path on this site) with `payment_method=<id>`
    of the method just added, else to default."""
    target = safe_next(request.args.get("next"), "")
    if target and added is not None:
        target = _with_query(target, ("payment_method", str(added.id)))
    return redirect(target or default, code=303)


def receive(customer, **who) -> PaymentMethod | None:
    """The way back from the processor's form: save the token's method for the customer (in
    one unit of work), flash what happened and return it. No token: the payer cancelled. A
    state that is not this session's: 400."""
    token = request.args.get("token", "")
    if not token or request.method == "HEAD":  # a HEAD only asks where the way back leads
        return None
    if not hmac.compare_digest(request.args.get("state", ""), session.get(_STATE, "")):
        abort(400, "This link to add a payment method was not made for you. Add the method again.")
    try:
        with unit_of_work():
            method = payment_methods.add_from_token(customer, token[:255], gateway_for(current_app), **who)
    except payment_methods.AlreadyAdded:
        flash("That payment method was added already.", "info")
    except payment_methods.TokenRefused as refused:
        flash(refused.message, "error")
    else:
        default = " It is the default." if method.is_default else ""
        flash(f"Added {payment_methods.label(method)}.{default}", "success")
        return method
    return None
