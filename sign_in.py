"""Signing in and out, one way for staff (/login) and the portal (/portal/login).

- attempt(): one password-hash verification per attempt, whether the email is unknown,
  has no password yet or has one, so the time taken says nothing about the email.
- sign_in_page(): the view of both sign-in pages (the form, the one message, the redirect).
- sign_in() / sign_out(): a new session each time (the signed cookie is cleared: nothing
  from before carries over); sign-in records the login's last sign-in and stores its
  session epoch in the session, and upgrades a password hash of an older kind
  (models/login.py); sign-out raises the epoch, so a copied cookie is dead
  (models/login.py lists every trigger).
- load_login(): Flask-Login's user loader. The signed-in login is a Principal, a plain
  immutable value (what views and templates read of it, the partner's name included):
  one query on a miss, then kept per worker for PRINCIPAL_SECONDS. It refuses a session
  whose epoch is not the login's: a raised epoch counts at once in the worker that raised
  it (its entry is dropped when the change commits) and within PRINCIPAL_SECONDS in others.
- failure_limits(): failed attempts are counted per (email, client address) and per
  address, never per email alone, so failures from elsewhere never lock out a person who
  types the right password from an address that has not failed.
"""

import time
from dataclasses import dataclass
from typing import ClassVar

from flask import current_app, flash, g, redirect, render_template, request, session
from flask_limiter.util import get_remote_address
from flask_login import UserMixin, current_user, login_user, logout_user
from sqlalchemy import Select, event, inspect, select
from sqlalchemy.orm import Session

from extensions import db, limiter
from keys import email_key
from models import Partner, PortalAccount, StaffUser
from models._time import utcnow
from models.login import Login, verify_password
from request_input import int_value, safe_next
from unit_of_work import unit_of_work

BAD_CREDENTIALS = "The email address or password is not right"
PER_EMAIL_AND_ADDRESS = "10 per 15 minutes"
PER_ADDRESS = "50 per hour"
EPOCH = "login_epoch"
PRINCIPAL_SECONDS = 5.0  # how long a worker trusts what it read of a login
clock = time.monotonic  # the principal cache's clock (tests move it on)
_CACHE = "principals"  # app.extensions[_CACHE]: {get_id(): (read at, Principal)}
# db.session.info[_ENDED]: the get_id()s whose epoch this transaction raised, and "partner:<id>"
# of each partner it renamed or gave another locale.
_ENDED = "logins_ended"


@dataclass(frozen=True, eq=False)
class Principal(UserMixin):
    """Who is signed in: what views and templates read of a login, without the ORM, so one
    worker can keep it between requests. `model` is the login's table."""

    kind: ClassVar[str]
    model: ClassVar[type[Login]]
    id: int
    epoch: int
    email: str

    def get_id(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class PartnerName:
    """What every staff page reads of the partner: the top bar's name, the locale dates
    are shown in (templating.template_locale) and the time zone of its "today" (the lists
    and the Overview), so a page that needs no more never loads it."""

    id: int
    name: str
    locale: str
    time_zone: str


@dataclass(frozen=True, eq=False)
class StaffPrincipal(Principal):
    kind = "staff"
    model = StaffUser
    partner_id: int
    name: str
    partner: PartnerName  # the top bar's name: read with the login, never loaded lazily

    @staticmethod
    def query(login_id: int) -> Select:
        return (select(StaffUser.id, StaffUser.session_epoch, StaffUser.email, StaffUser.partner_id,
                       StaffUser.name, Partner.name.label("partner_name"), Partner.locale, Partner.time_zone)
                .join(Partner, Partner.id == StaffUser.partner_id).where(StaffUser.id == login_id))

    @classmethod
    def from_row(cls, row) -> "StaffPrincipal":
        return cls(row.id, row.session_epoch, row.email, row.partner_id, row.name,
                   PartnerName(row.partner_id, row.partner_name, row.locale, row.time_zone))


@dataclass(frozen=True, eq=False)
class PortalPrincipal(Principal):
    kind = "portal"
    model = PortalAccount

    @staticmethod
    def query(login_id: int) -> Select:
        return select(PortalAccount.id, PortalAccount.session_epoch, PortalAccount.email).where(
            PortalAccount.id == login_id)

    @classmethod
    def from_row(cls, row) -> "PortalPrincipal":
        return cls(row.id, row.session_epoch, row.email)


PRINCIPALS = {p.kind: p for p in (StaffPrincipal, PortalPrincipal)}  # the prefixes of get_id()


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
            sign_in(login, form.password.data)
            return redirect(safe_next(request.args.get("next"), home), code=303)
        form.form_errors.append(BAD_CREDENTIALS)
    status = 422 if form.errors or form.form_errors else 200
    return render_template(template, form=form), status


def sign_in(login: StaffUser | PortalAccount, password: str) -> None:
    with unit_of_work():
        login.last_login_at = utcnow()
        login.upgrade_password_hash(password)  # a hash of an older kind, made again
    session.clear()  # a new session: nothing from before carries over
    login_user(login)
    session[EPOCH] = login.session_epoch
    session.permanent = True  # the cookie lasts PERMANENT_SESSION_LIFETIME from its last change


def sign_out() -> None:
    principal = current_user._get_current_object() if current_user.is_authenticated else None
    if principal is not None:
        with unit_of_work():
            login = db.session.get(principal.model, principal.id)
            if login is not None:
                login.end_sessions()
    logout_user()
    session.clear()
    flash("You have signed out.", "info")


def _principals() -> dict:
    return current_app.extensions.setdefault(_CACHE, {})


def load_login(user_id: str) -> Principal | None:
    kind, _, raw_id = user_id.partition(":")
    principal_type = PRINCIPALS.get(kind)
    number = int_value(raw_id, low=1)
    if principal_type is None or number is None:
        return None
    cache, now = _principals(), clock()
    cached = cache.get(user_id)
    # A session whose epoch is not the cached one is read again: its login may have signed
    # out and in again through another worker since (a newer epoch), or ended (an older one).
    if cached is not None and now - cached[0] < PRINCIPAL_SECONDS and session.get(EPOCH) == cached[1].epoch:
        principal = cached[1]
    else:
        row = db.session.execute(principal_type.query(number)).first()
        if row is None:
            cache.pop(user_id, None)
            return None
        principal = principal_type.from_row(row)
        if len(cache) > 10_000:  # forget logins not seen lately
            for stale in [key for key, (read, _) in cache.items() if now - read >= PRINCIPAL_SECONDS]:
                del cache[stale]
        cache[user_id] = (now, principal)
    if session.get(EPOCH) != principal.epoch:
        return None
    return principal


@event.listens_for(Session, "before_flush")
def _note_ended_logins(session_, _context, _instances) -> None:
    """A login whose epoch this flush raises (or that it deletes) is forgotten by this
    worker's cache when the transaction commits, so its sessions end at once here."""
    ended = [obj for obj in session_.dirty if isinstance(obj, Login)
             and inspect(obj).attrs.session_epoch.history.has_changes()]
    ended += [obj for obj in session_.deleted if isinstance(obj, Login)]
    if ended:
        session_.info.setdefault(_ENDED, set()).update(obj.get_id() for obj in ended)
    # A partner renamed or given another locale or time zone: its staff's principals (PartnerName)
    # are read again.
    renamed = [obj.id for obj in session_.dirty if isinstance(obj, Partner) and any(
        getattr(inspect(obj).attrs, name).history.has_changes() for name in ("name", "locale", "time_zone"))]
    if renamed:
        session_.info.setdefault(_ENDED, set()).update(f"partner:{partner_id}" for partner_id in renamed)


@event.listens_for(Session, "after_commit")
def _forget_ended_logins(session_) -> None:
    ended = session_.info.pop(_ENDED, ())
    if ended and current_app:
        cache = _principals()
        for user_id in ended:
            cache.pop(user_id, None)
        partners = {int(key.removeprefix("partner:")) for key in ended if key.startswith("partner:")}
        for user_id in [key for key, (_, principal) in cache.items()
                        if getattr(principal, "partner_id", None) in partners]:
            del cache[user_id]


@event.listens_for(Session, "after_soft_rollback")
def _keep_logins_not_ended(session_, _previous_transaction) -> None:
    session_.info.pop(_ENDED, None)
