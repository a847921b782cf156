"""Emailed links that set a login's password, for staff and portal logins alike.

A link model (models.login.PasswordLink: AccessToken for the portal, StaffLink for staff) keeps
only the token's hash. A link works once and for LINK_LIFETIME; a newer link of the same purpose
replaces the older ones; using it sets the password, which ends the login's other sessions
(models.login.Login.set_password). Everything here only adds to db.session: the caller commits.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import inspect, select, update

from extensions import db
from keys import email_key
from mailer import queue_templated_email
from models._time import utcnow
from models.login import Login, PasswordLink

LINK_LIFETIME = timedelta(days=7)
RAW_MAX = 100  # longer is no token of ours: refused before hashing


class LinkError(Exception):
    """A link that cannot be used; .reason is "unknown", "used" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def login_model(model: type[PasswordLink]) -> type[Login]:
    """The kind of login whose links `model` keeps (its `login` relationship's class)."""
    return inspect(model).relationships["login"].mapper.class_


def link_url(path: str, raw: str) -> str:
    """The emailed address: BASE_URL, the route's path ("/reset/"), the token."""
    return f"{current_app.config['BASE_URL']}{path}{raw}"


def revoke(model: type[PasswordLink], login: Login, *, purpose: str | None = None,
           now: datetime | None = None) -> None:
    """The login's unused links (of one purpose, or all) stop working."""
    condition = [model.login == login, model.used_at.is_(None)]
    if purpose is not None:
        condition.append(model.purpose == purpose)
    db.session.execute(update(model).where(*condition).values(used_at=now or utcnow()))


def issue(model: type[PasswordLink], login: Login, purpose: str, *, now: datetime | None = None,
          **columns) -> str:
    """A new link for the login (the raw token, for the email); its older unused links of the
    same purpose stop working. `columns`: the link model's own (an invitation's membership)."""
    now = now or utcnow()
    revoke(model, login, purpose=purpose, now=now)
    raw = secrets.token_urlsafe(32)
    db.session.add(model(login=login, purpose=purpose, token_hash=_hash(raw),
                         created_at=now, expires_at=now + LINK_LIFETIME, **columns))
    return raw


def find(model: type[PasswordLink], raw: str, purpose: str, *, now: datetime | None = None) -> PasswordLink:
    """The usable link of this token, or LinkError saying why not."""
    now = now or utcnow()
    link = db.session.scalar(
        select(model).where(model.token_hash == _hash(raw), model.purpose == purpose)
    ) if raw and len(raw) < RAW_MAX else None
    if link is None:
        raise LinkError("unknown")
    if link.used_at is not None:
        raise LinkError("used")
    if link.expires_at <= now:
        raise LinkError("expired")
    return link


def use(link: PasswordLink, password: str, *, now: datetime | None = None) -> Login:
    """Set the password through a link, which then stops working, as does every other unused
    link of its login (a pending invitation or reset could set it again). The caller commits."""
    now = now or utcnow()
    # Claim the link in the database, so two tabs cannot both use it.
    model = type(link)
    claimed = db.session.execute(
        update(model).where(model.id == link.id, model.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise LinkError("used")
    revoke(model, link.login, now=now)  # the login's other links (an invitation, a reset) too
    link.login.set_password(password)
    return link.login


def request_reset(model: type[PasswordLink], email: str, *, path: str, template: str, subject: str,
                  now: datetime | None = None) -> None:
    """A reset link for the login of this email, if there is one, by email (templates/email/
    <template>); says nothing back either way, so the answer never tells who has a login."""
    kind = login_model(model)
    login = db.session.scalar(select(kind).where(kind.email_key == email_key(email)))
    if login is None:
        return
    raw = issue(model, login, "reset", now=now)
    queue_templated_email(template, to=login.email, subject=subject, login=login,
                          link=link_url(path, raw), base_url=current_app.config["BASE_URL"])
