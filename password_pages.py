"""The pages of "Forgot password?" and of the emailed links that set a password, one way for
staff (/forgot-password, /reset/<token>) and the portal (/portal/forgot-password,
/portal/reset/<token>, /portal/set-password/<token>). A blueprint describes its pages once
(PasswordPages) and add_password_routes() gives it the routes; the links are
services/password_links.py's.

- An emailed link's page checks the token, moves it into the session and redirects at once to
  the same page without it, so the token never stays in the address bar, the history or an
  access log (as Django's PasswordResetConfirmView does). The form posts to that page.
- A link that does not work is 404 (unknown) or 410 (used, or expired), saying how to get another.
- "Forgot password?" gives one answer whether or not the email has a login, and is limited to
  5 requests an hour per email and 20 an hour per client address.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address

from extensions import limiter
from forms.auth import ForgotPasswordForm, SetPasswordForm
from keys import email_key
from models.login import PasswordLink
from services import password_links
from services.password_links import LinkError
from unit_of_work import unit_of_work

PER_EMAIL = "5 per hour"
PER_ADDRESS = "20 per hour"


@dataclass(frozen=True)
class PasswordPages:
    name: str  # "staff" or "portal": the session key of the link in use, the limits' scope
    links: type[PasswordLink]
    layout: str  # the template the pages extend (a card with the brand)
    login_endpoint: str
    forgot_endpoint: str
    request_reset: Callable[[str], None]  # queues the reset email, if the email has a login
    sent_message: str  # the one answer to "Forgot password?"
    other_way: str = ""  # how else to get a link, after "use Forgot your password"

    @property
    def session_key(self) -> str:
        return f"{self.name}_link"  # [purpose, raw token]


def reset_limits(name: str):
    """The limits of a "Forgot password?" form: per email, and per client address."""

    def per_email() -> str:
        return f"{name}-reset:{email_key(request.form.get('email', '').strip())}"

    def decorate(view):
        view = limiter.limit(PER_ADDRESS, key_func=lambda: f"{name}-reset-address:{get_remote_address()}",
                             methods=["POST"])(view)
        return limiter.limit(PER_EMAIL, key_func=per_email, methods=["POST"])(view)

    return decorate


def _render(pages: PasswordPages, template: str, status: int = 200, **context):
    return render_template(f"password/{template}.html", pages=pages, **context), status


def _link_problem(pages: PasswordPages, reason: str, purpose: str):
    return _render(pages, "link_problem", 404 if reason == "unknown" else 410, reason=reason, purpose=purpose)


def open_link(pages: PasswordPages, raw: str, purpose: str, endpoint: str):
    """The emailed link: its token into the session, then a redirect to `endpoint` without it."""
    try:
        password_links.find(pages.links, raw, purpose)
    except LinkError as error:
        return _link_problem(pages, error.reason, purpose)
    session[pages.session_key] = [purpose, raw]
    return redirect(url_for(endpoint), code=303)


def password_page(pages: PasswordPages, purpose: str):
    """The page the link opened: choose the password (fields password, confirm); once saved,
    the link is spent, the login's other sessions end, and the person signs in with it."""
    stored = session.get(pages.session_key)
    raw = stored[1] if isinstance(stored, list) and len(stored) == 2 and stored[0] == purpose else ""
    try:
        link = password_links.find(pages.links, raw, purpose)
    except LinkError as error:
        return _link_problem(pages, error.reason, purpose)
    form = SetPasswordForm(email=link.login.email)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                password_links.use(link, form.password.data)
        except LinkError as error:
            return _link_problem(pages, error.reason, purpose)
        session.pop(pages.session_key, None)
        flash("Your password is set. Sign in with it now.", "success")
        return redirect(url_for(pages.login_endpoint), code=303)
    return _render(pages, "set_password", 422 if form.errors else 200, form=form, login=link.login, purpose=purpose)


def forgot_password_page(pages: PasswordPages):
    """"Forgot password?": field email; the same answer whether or not it has a login."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with unit_of_work():
            pages.request_reset(form.email.data)
        flash(pages.sent_message, "info")
        return redirect(url_for(pages.login_endpoint), code=303)
    return _render(pages, "forgot_password", 422 if form.errors else 200, form=form)


def add_password_routes(bp: Blueprint, pages: PasswordPages, *, invitations: bool = False) -> None:
    """The blueprint's /forgot-password, /reset/<token> (to /reset) and, with `invitations`,
    /set-password/<token> (to /set-password). Endpoints: forgot_password, open_reset, reset,
    open_invitation, set_password."""

    def route(rule: str, endpoint: str, view, methods=("GET",), decorator=None) -> None:
        # Named per blueprint: Flask-Limiter keeps a view's limits under its module and name.
        view.__name__ = view.__qualname__ = f"{pages.name}_{endpoint}"
        bp.add_url_rule(rule, endpoint, decorator(view) if decorator else view, methods=list(methods))

    def links(rule: str, endpoint: str, opener: str, purpose: str) -> None:
        route(f"/{rule}/<raw>", opener, lambda raw: open_link(pages, raw, purpose, f".{endpoint}"))
        route(f"/{rule}", endpoint, lambda: password_page(pages, purpose), ("GET", "POST"))

    route("/forgot-password", "forgot_password", lambda: forgot_password_page(pages), ("GET", "POST"),
          reset_limits(pages.name))
    links("reset", "reset", "open_reset", "reset")
    if invitations:
        links("set-password", "set_password", "open_invitation", "invite")
