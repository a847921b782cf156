"""Changes to a customer's profile: edit (with optimistic locking), archive, restore."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from extensions import db
from models import Customer
from models._time import utcnow
from services.customers import DuplicateEIN
from services.history import changes_between, record


class StaleProfile(Exception):
    """Someone saved the profile after the version this edit started from."""

    def __init__(self, current_version: int):
        super().__init__(current_version)
        self.current_version = current_version


def update_profile(customer: Customer, values: dict, *, expected_version: int, staff_id: int) -> list[dict]:
    """Save the profile's new values, if it is still at expected_version.

    Returns the changes (empty when nothing changed: no new version, no entry).
    Raises StaleProfile when another save came first, even at the same instant:
    the UPDATE is made "WHERE version = expected_version" (the mapper's version_id_col).
    """
    if customer.version != expected_version:
        raise StaleProfile(customer.version)
    before = {name: getattr(customer, name) for name in values}
    changes = changes_between(before, values)
    if not changes:
        return []
    for name, value in values.items():
        setattr(customer, name, value)
    customer.version = expected_version + 1
    record(
        partner_id=customer.partner_id, staff_id=staff_id, action="profile.updated",
        customer_id=customer.id, changes=changes, customer_version=customer.version,
    )
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleProfile(_current_version(customer.id)) from None
    except IntegrityError:
        db.session.rollback()
        if values.get("ein"):
            raise DuplicateEIN(values["ein"]) from None
        raise
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


def _current_version(customer_id: int) -> int:
    return db.session.scalar(select(Customer.version).where(Customer.id == customer_id))


def _lock(customer: Customer) -> None:
    """Re-read the customer's row, locked until commit (PostgreSQL; SQLite locks on write)."""
    db.session.refresh(customer, with_for_update=True)


def archive_customer(customer: Customer, *, staff_id: int) -> bool:
    """Hide the customer from All Customers. False if it already was archived."""
    _lock(customer)
    if customer.archived_at is not None:
        db.session.rollback()
        return False
    customer.archived_at = utcnow()
    record(partner_id=customer.partner_id, staff_id=staff_id, action="customer.archived", customer_id=customer.id)
    db.session.commit()
    return True


def restore_customer(customer: Customer, *, staff_id: int) -> bool:
    """Show an archived customer in All Customers again. False if it was not archived."""
    _lock(customer)
    if customer.archived_at is None:
        db.session.rollback()
        return False
    customer.archived_at = None
    record(partner_id=customer.partner_id, staff_id=staff_id, action="customer.restored", customer_id=customer.id)
    db.session.commit()
    return True
