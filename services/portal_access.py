"""Portal access: accounts for customers' users, invitation and reset links, their emails.

Everything here only adds to db.session: the caller's transaction commits the user,
its account, its link and the queued email together, or none of them.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from extensions import db
from keys import email_key
from mailer import latest_statuses, queue_email
from models import AccessToken, Customer, CustomerUser, Partner, PortalAccount
from models._time import utcnow

LINK_LIFETIME = timedelta(days=7)


class LinkError(Exception):
    """A link that cannot be used; .reason is "unknown", "used" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _link(endpoint_path: str, raw: str) -> str:
    return f"{current_app.config['BASE_URL']}/portal/{endpoint_path}/{raw}"


# -- accounts and memberships ------------------------------------------------------

def account_for(email: str) -> PortalAccount:
    """The portal login of this email (one across partners), made if there is none. Two
    requests making the same new login at once both get it: the insert does nothing when
    the other's row is there (ON CONFLICT DO NOTHING, on PostgreSQL after waiting for it)."""
    key = email_key(email)
    find = select(PortalAccount).where(PortalAccount.email_key == key)
    account = db.session.scalar(find)
    if account is not None:
        return account
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[db.session.get_bind().dialect.name]
    db.session.execute(
        dialect.insert(PortalAccount).values(email=email, email_key=key).on_conflict_do_nothing(
            index_elements=[PortalAccount.email_key])
    )
    return db.session.scalar(find)


def _issue(account: PortalAccount, purpose: str, *, customer_user: CustomerUser | None = None,
           now: datetime | None = None) -> str:
    """A new link for the account; older unused links of the same purpose stop working."""
    now = now or utcnow()
    db.session.execute(
        update(AccessToken)
        .where(AccessToken.account_id == account.id, AccessToken.purpose == purpose,
               AccessToken.used_at.is_(None))
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    db.session.add(AccessToken(
        account_id=account.id, purpose=purpose, token_hash=_hash(raw),
        customer_user_id=customer_user.id if customer_user else None,
        created_at=now, expires_at=now + LINK_LIFETIME,
    ))
    return raw


def _send(template: str, to: str, subject: str, ref: str | None, **context) -> None:
    queue_email(
        to=to, subject=subject, ref=ref,
        text=render_template(f"email/{template}.txt", **context),
        html=render_template(f"email/{template}.html", **context),
    )


def invite(user: CustomerUser, *, now: datetime | None = None) -> None:
    """Give a customer's user their portal access and tell them by email."""
    customer: Customer = user.customer
    account = account_for(user.email)
    user.portal_account = account
    partner = db.session.get(Partner, customer.partner_id)
    context = dict(partner=partner, customer=customer, user=user, base_url=current_app.config["BASE_URL"])
    if account.is_active_login:
        # They already sign in (as a user of another customer, of this partner or another).
        _send("access_added", user.email, f"You can now see {customer.company}'s invoices",
              f"invite:{user.id}", **context)
        return
    raw = _issue(account, "invite", customer_user=user, now=now)
    _send("invitation", user.email, f"{partner.name} invites you to pay {customer.company}'s invoices",
          f"invite:{user.id}", link=_link("set-password", raw), **context)


def invite_users(users: list[CustomerUser], *, now: datetime | None = None) -> None:
    db.session.flush()  # the users need their ids for the email's reference
    for user in users:
        invite(user, now=now)


def resend_invitation(user: CustomerUser, *, now: datetime | None = None) -> None:
    """A new invitation; the link of the old one stops working."""
    invite(user, now=now)


def move_membership(user: CustomerUser, *, now: datetime | None = None) -> None:
    """After the partner changed the user's email: the membership moves to that email's
    account, with a new invitation if the person has no login yet (else an email saying
    they can now see this company). The old account's links stop working if it is left
    with no customer: the old address may have been a typo, someone else's."""
    old = user.portal_account
    account = account_for(user.email)
    if old is not None and old.id == account.id:
        return  # the same address in other letters: the same login
    user.portal_account = account
    db.session.flush()
    if old is not None:
        revoke_links_if_unused(old, now=now)
    invite(user, now=now)


def drop_membership(user: CustomerUser, *, now: datetime | None = None) -> None:
    """Before the partner removes the user: their account's links stop working if it is
    left with no customer. Call it in the removal's transaction."""
    old = user.portal_account
    if old is None:
        return
    user.portal_account = None
    db.session.flush()
    revoke_links_if_unused(old, now=now)


def revoke_links_if_unused(account: PortalAccount, *, now: datetime | None = None) -> None:
    """Unused links of an account that no customer uses any more stop working."""
    left = db.session.scalar(
        select(CustomerUser.id).where(CustomerUser.portal_account_id == account.id).limit(1)
    )
    if left is None:
        db.session.execute(
            update(AccessToken).where(AccessToken.account_id == account.id, AccessToken.used_at.is_(None))
            .values(used_at=now or utcnow())
        )


def request_reset(email: str, *, now: datetime | None = None) -> None:
    """A reset link for the login of this email, if there is one. Says nothing back. The
    email names no partner: one login may see companies of several."""
    account = db.session.scalar(select(PortalAccount).where(PortalAccount.email_key == email_key(email)))
    if account is None:
        return
    raw = _issue(account, "reset", now=now)
    _send("reset", account.email, "Reset your customer portal password", None,
          account=account, link=_link("reset", raw), base_url=current_app.config["BASE_URL"])


# -- links ----------------------------------------------------------------------

def find_link(raw: str, purpose: str, *, now: datetime | None = None) -> AccessToken:
    now = now or utcnow()
    token = db.session.scalar(
        select(AccessToken).where(AccessToken.token_hash == _hash(raw), AccessToken.purpose == purpose)
    ) if raw and len(raw) < 100 else None
    if token is None:
        raise LinkError("unknown")
    if token.used_at is not None:
        raise LinkError("used")
    if token.expires_at <= now:
        raise LinkError("expired")
    return token


def use_link(token: AccessToken, password: str, *, now: datetime | None = None) -> PortalAccount:
    """Set the password through a link, which then stops working. The caller commits."""
    now = now or utcnow()
    # Claim the link in the database, so two tabs cannot both use it.
    claimed = db.session.execute(
        update(AccessToken).where(AccessToken.id == token.id, AccessToken.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise LinkError("used")
    token.account.set_password(password)
    return token.account


# -- what the partner sees ----------------------------------------------------------

def user_statuses(users: list[CustomerUser]) -> dict[int, tuple[str, datetime | None]]:
    """The Users tab's status of each membership, in at most two queries whatever their number:
    ("Active", last time the portal showed this company) once its user has opened it there,
    else ("Delivery failed", when) / ("Invited", when) / ("Not invited", None). Never whether
    the email had a login already (that may come from another partner)."""
    waiting = [user.id for user in users if user.portal_first_seen_at is None]
    emails = latest_statuses([f"invite:{user_id}" for user_id in waiting])
    invited = dict(db.session.execute(
        select(AccessToken.customer_user_id, func.max(AccessToken.created_at))
        .where(AccessToken.customer_user_id.in_(waiting)).group_by(AccessToken.customer_user_id)
    ).all()) if waiting else {}
    statuses = {}
    for user in users:
        email = emails.get(f"invite:{user.id}")
        if user.portal_first_seen_at is not None:
            statuses[user.id] = ("Active", user.portal_last_seen_at)
        elif email is None:
            statuses[user.id] = ("Not invited", None)
        elif email[0] == "failed":
            statuses[user.id] = ("Delivery failed", email[1])
        else:
            statuses[user.id] = ("Invited", invited.get(user.id) or email[1])
    return statuses
