"""Portal access: accounts for customers' users, their invitations, reset links and emails
(the links themselves: services/password_links.py, shared with staff logins).

Everything here only adds to db.session: the caller's transaction commits the user,
its account, its link and the queued email together, or none of them.
"""

from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from extensions import db, insert_or_else
from keys import email_key
from mailer import latest_statuses, queue_templated_email
from models import AccessToken, Customer, CustomerUser, Partner, PortalAccount
from services import password_links

INVITATION_PATH = "/portal/set-password/"  # the routes of blueprints/portal.py
RESET_PATH = "/portal/reset/"


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
    db.session.execute(
        insert_or_else(PortalAccount).values(email=email, email_key=key).on_conflict_do_nothing(
            index_elements=[PortalAccount.email_key])
    )
    return db.session.scalar(find)


def invite(user: CustomerUser, *, now: datetime | None = None) -> None:
    """Give a customer's user their portal access and tell them by email."""
    customer: Customer = user.customer
    account = account_for(user.email)
    user.portal_account = account
    partner = db.session.get(Partner, customer.partner_id)
    context = dict(partner=partner, customer=customer, user=user, base_url=current_app.config["BASE_URL"])
    if account.is_active_login:
        # They already sign in (as a user of another customer, of this partner or another).
        queue_templated_email("access_added", to=user.email, subject=f"You can now see {customer.company}'s invoices",
                              ref=f"invite:{user.id}", **context)
        return
    raw = password_links.issue(AccessToken, account, "invite", customer_user_id=user.id, now=now)
    queue_templated_email("invitation", to=user.email,
                          subject=f"{partner.name} invites you to pay {customer.company}'s invoices",
                          ref=f"invite:{user.id}", link=password_links.link_url(INVITATION_PATH, raw), **context)


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
        password_links.revoke(AccessToken, account, now=now)


def request_reset(email: str, *, now: datetime | None = None) -> None:
    """A reset link for the portal login of this email, if there is one. Says nothing back.
    The email names no partner: one login may see companies of several."""
    password_links.request_reset(AccessToken, email, path=RESET_PATH, template="reset",
                                 subject="Reset your customer portal password", now=now)


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
