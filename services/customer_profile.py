"""Changes to a customer's profile: edit (with optimistic locking), archive, restore."""

from sqlalchemy import update
from sqlalchemy.orm.exc import StaleDataError

from extensions import db
from models import Customer
from models._time import utcnow
from services.errors import Conflict
from services.events import emit
from services.history import changes_between, record
from services.search import index_customer, indexed_values
from services.tags import follow_customer


class StaleProfile(Conflict):
    """Someone saved the profile after the version this edit started from.
    current_version: None when the write found it (read the customer again after the rollback)."""

    message = "Someone else changed this customer at the same time."

    def __init__(self, current_version: int | None = None):
        super().__init__()
        self.current_version = current_version


def update_profile(customer: Customer, values: dict, *, expected_version: int, staff_id: int) -> list[dict]:
    """Save the profile's new values, if it is still at expected_version.

    Returns the changes (empty when nothing changed: no new version, no entry).
    Raises StaleProfile when another save came first, even at the same instant:
    the UPDATE is made "WHERE version = expected_version" (the mapper's version_id_col).
    An EIN taken meanwhile makes the unit of work raise DuplicateEIN.
    """
    if customer.version != expected_version:
        raise StaleProfile(customer.version)
    before = {name: getattr(customer, name) for name in values}
    changes = changes_between(before, values)
    if not changes:
        return []
    words_before = indexed_values(customer)
    for name, value in values.items():
        setattr(customer, name, value)
    customer.version = expected_version + 1
    record(
        partner_id=customer.partner_id, staff_id=staff_id, action="profile.updated",
        customer_id=customer.id, changes=changes, customer_version=customer.version,
    )
    try:
        if indexed_values(customer) != words_before:
            index_customer(customer, words_before)  # its statements flush the customer's UPDATE first
        db.session.flush()
    except StaleDataError:
        raise StaleProfile() from None
    emit(customer.partner_id, "customer.updated", customer)
    return changes


def rebase(mine: dict, current: dict, since: list) -> tuple[dict, list[str]]:
    """A stale edit brought up to date with the saves it missed (history entries, oldest first).

    A field only the others changed takes its current value (the partner's form still held
    the old one); a field both changed keeps the partner's value. Returns (values, the
    fields both changed). Nothing is saved: the partner sees the result and saves again.
    """
    started = {}
    for entry in since:
        for change in entry.changes:
            started.setdefault(change["field"], change["before"])
    values, both = dict(mine), []
    for name, before in started.items():
        if name not in values:
            continue
        if (values[name] or None) == (before or None):
            values[name] = current[name]
        elif (values[name] or None) != (current[name] or None):
            both.append(name)
    return values, both


def _set_archived(customer: Customer, archived: bool, action: str, staff_id: int) -> bool:
    """One conditional UPDATE: of six archives at once, one changes the row and writes the
    history entry; the others change nothing (each waits for the row, then finds it done)."""
    changed = db.session.execute(
        update(Customer)
        .where(Customer.id == customer.id,
               Customer.archived_at.is_(None) if archived else Customer.archived_at.is_not(None))
        .values(archived_at=utcnow() if archived else None),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.expire(customer, ["archived_at"])
    if changed:
        follow_customer(customer.partner_id, customer.id, archived=archived)
        record(partner_id=customer.partner_id, staff_id=staff_id, action=action, customer_id=customer.id)
        emit(customer.partner_id, "customer.updated", customer)
    return bool(changed)


def archive_customer(customer: Customer, *, staff_id: int) -> bool:
    """Hide the customer from All Customers. False if it already was archived."""
    return _set_archived(customer, True, "customer.archived", staff_id)


def restore_customer(customer: Customer, *, staff_id: int) -> bool:
    """Show an archived customer in All Customers again. False if it was not archived."""
    return _set_archived(customer, False, "customer.restored", staff_id)
