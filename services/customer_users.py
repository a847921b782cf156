"""A customer's users after it was created: add, edit, remove, each with its history.

add_users is also the seam for what a new user brings besides its row (an
invitation to the portal, say): _after_add runs in the same transaction.
"""

from sqlalchemy import func, select, update

from extensions import db
from models import Customer, CustomerUser
from services.errors import Conflict, DomainError, raised_for
from services.events import emit
from services.history import changes_between, record
from services.portal_access import drop_membership, invite_users, move_membership


@raised_for("uq_customer_users_customer_id_email_key")
class DuplicateEmail(DomainError):
    """The email is already a user of this customer (another save came first). The views
    validate their form again, which names the row and the address."""

    field = "email"
    message = "Another user of this customer took this email address a moment ago"


class LastUser(Conflict):
    """Removing this user would leave the customer with none."""

    message = "A customer needs at least one user"


def _lock(customer: Customer) -> None:
    """Serialize changes to one customer's users, so two removals at once cannot leave
    it with none. A no-op UPDATE: a row lock until commit in PostgreSQL, and the write
    lock in SQLite (where SELECT ... FOR UPDATE does not exist)."""
    db.session.execute(
        update(Customer).where(Customer.id == customer.id).values(archived_at=Customer.archived_at),
        execution_options={"synchronize_session": False},
    )


def _users_changed(customer: Customer) -> None:
    """The customer's webhook event: its users are part of it."""
    db.session.flush()
    db.session.expire(customer, ["users"])
    emit(customer.partner_id, "customer.updated", customer)


def _subject(user: CustomerUser) -> str:
    return f"{user.name} <{user.email}>"


def add_users(customer: Customer, rows: list[dict], *, staff_id: int) -> list[CustomerUser]:
    """Add users (rows of {"name", "email"}, already validated) to the unit of work."""
    _lock(customer)
    users = [CustomerUser(customer_id=customer.id, name=row["name"], email=row["email"]) for row in rows]
    db.session.add_all(users)
    db.session.flush()
    for user in users:
        record(
            partner_id=customer.partner_id, staff_id=staff_id, action="user.added", customer_id=customer.id,
            subject=_subject(user), changes=changes_between({}, {"name": user.name, "email": user.email}),
        )
    _after_add(customer, users)
    return users


def _after_add(customer: Customer, users: list[CustomerUser]) -> None:
    """What else new users bring, in the same transaction: their portal invitations, the webhook event."""
    invite_users(users)
    _users_changed(customer)


def update_user(user: CustomerUser, *, name: str, email: str, staff_id: int) -> list[dict]:
    """Save a user's new name and email. Returns the changes (none: nothing saved)."""
    customer = user.customer
    before = {"name": user.name, "email": user.email}
    changes = changes_between(before, {"name": name, "email": email})
    if not changes:
        return []
    subject = _subject(user)
    email_changed = user.email != email
    user.name, user.email = name, email
    if email_changed:
        db.session.flush()  # a twin edit's same new email meets the constraint here, not in a query's autoflush
        move_membership(user)  # the portal login follows the email
    record(
        partner_id=customer.partner_id, staff_id=staff_id, action="user.updated", customer_id=customer.id,
        subject=subject, changes=changes,
    )
    _users_changed(customer)
    return changes


def remove_user(user: CustomerUser, *, staff_id: int) -> None:
    """Remove a user, unless it is the customer's last one (LastUser)."""
    customer = user.customer
    _lock(customer)
    count = db.session.scalar(select(func.count(CustomerUser.id)).where(CustomerUser.customer_id == customer.id))
    if count <= 1:
        raise LastUser()
    record(
        partner_id=customer.partner_id, staff_id=staff_id, action="user.removed", customer_id=customer.id,
        subject=_subject(user),
        changes=changes_between({"name": user.name, "email": user.email}, {"name": None, "email": None}),
    )
    drop_membership(user)  # a removed user's unused portal links stop working
    db.session.delete(user)
    _users_changed(customer)
