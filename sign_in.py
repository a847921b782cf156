"""Signing in and out, one way for staff (/login) and the portal (/portal/login).

- attempt(): one password-hash verification per attempt, whether the email is unknown,
  has no password yet or has one, so the time taken says nothing about the email.
- sign_in_page(): the view of both sign-in pages (the form, the one message, the redirect).
- sign_in() / sign_out(): a new session id each time; sign-in records the login's last
  sign-in and stores its session epoch in the session; sign-out raises the epoch, so a
  copied cookie is dead (models/login.py lists every trigger).
- load_login(): Flask-Login's user loader; it refuses a session whose epoch is not the
  login's current one.
- failure_limits(): failed attempts are counted per (email, client address) and per
  address, never per email alone, so failures from elsewhere never lock out a person who
  types the right password from an address that has not failed.
"""


from flask import current_app, flash, g, redirect, render_template, request, session
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from extensions import db, limiter
from keys import email_key
from models import PortalAccount, StaffUser
from models._time import utcnow
from models.login import verify_password
from request_input import int_value, safe_next
from unit_of_work import unit_of_work

BAD_CREDENTIALS = "The email address or password is not right"
PER_EMAIL_AND_ADDRESS = "10 per 15 minutes"
PER_ADDRESS = "50 per hour"
EPOCH = "login_epoch"
LOGINS = {"staff": StaffUser, "portal": PortalAccount}  # the prefixes of get_id()


def _failed(_response) -> bool:
    return bool(g.get("sign_in_failed"))


def failure_limits(scope: str, field: str = "email"):
    """The failure limits of one sign-in form (a POST with the email in `field`)."""

    def email_and_address() -> str:
        return f"{scope}:{email_key(request.form.get(field, '').strip())}:{get_remote_address()}"

    def decorate(view):
        view = limiter.limit(PER_ADDRESS, key_func=lambda: f"{scope}-address:{get_remote_address()}",
                             methods=["POST"], deduct_when=_failed)(view)
        return limiter.limit(PER_EMAIL_AND_ADDRESS, key_func=email_and_address, methods=["POST"],
                             deduct_when=_failed)(view)

    return decorate


def attempt(model: type[StaffUser] | type[PortalAccount], key: str, password: str):
    """The login whose email key is `key` if the password is its own, else None (and the
    attempt counts as a failure)."""
    login = db.session.scalar(select(model).where(model.email_key == key))
    if verify_password(login.password_hash if login is not None else None, password):
        return login
    g.sign_in_failed = True
    return None


def sign_in_page(model: type[StaffUser] | type[PortalAccount], form, template: str, home: str):
    """A sign-in page's view, staff's or the portal's: the form (422 with the one message for a
    wrong email or password), or after the right password a new session and a 303 to the page
    asked for (a safe `next`), else home."""
    if form.validate_on_submit():
        login = attempt(model, email_key(form.email.data), form.password.data)
        if login is not None:
            sign_in(login)
            return redirect(safe_next(request.args.get("next"), home), code=303)
        form.form_errors.append(BAD_CREDENTIALS)
    status = 422 if form.errors or form.form_errors else 200
    return render_template(template, form=form), status


def sign_in(login: StaffUser | PortalAccount) -> None:
    with unit_of_work():
        login.last_login_at = utcnow()
    session.clear()  # a new session: nothing from before carries over
    login_user(login)
    session[EPOCH] = login.session_epoch
    current_app.session_interface.regenerate(session)


def sign_out() -> None:
    login = current_user._get_current_object() if current_user.is_authenticated else None
    if login is not None:
        with unit_of_work():
            login.end_sessions()
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    current_app.session_interface.regenerate(session)


def load_login(user_id: str):
    kind, _, raw_id = user_id.partition(":")
    model = LOGINS.get(kind)
    number = int_value(raw_id, low=1)
    if model is None or number is None:
        return None
    login = db.session.get(model, number)
    if login is None or session.get(EPOCH) != login.session_epoch:
        return None
    return login
