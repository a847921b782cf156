"""History entries: recorded by the services that make a change, before their commit.

A change and its entry are one transaction: both are saved, or neither.
"""

from sqlalchemy.orm import selectinload

from extensions import db
from forms.rules import COUNTRY_NAMES
from models import Customer, HistoryEntry
from models.tag import PALETTE
from services.paging import keyset_page
from tenancy import scoped

# What each action reads as on the History tab and in the tag log.
ACTIONS = {
    "profile.updated": "Edited the profile",
    "customer.archived": "Archived the customer",
    "customer.restored": "Restored the customer",
    "user.added": "Added a user",
    "user.updated": "Edited a user",
    "user.removed": "Removed a user",
    "tag.added": "Added a tag",
    "tag.removed": "Removed a tag",
    "tag.created": "Created a tag",
    "tag.updated": "Edited a tag",
    "tag.deleted": "Deleted a tag",
    "payment_method.added": "Added a payment method",
    "payment_method.archived": "Archived a payment method",
    "payment_method.default": "Made a payment method the default",
    "payment.recorded": "Recorded a payment",
    "payment.received": "Received a payment in the portal",
    "payment.refunded": "Refunded a payment",
    "payment.failed": "A bank debit failed",
    "surcharge.exempted": "Exempted from the card surcharge",
    "surcharge.restored": "Charged the card surcharge again",
}
FIELD_LABELS = {
    "company": "Company",
    "legal_name": "Legal name",
    "ein": "EIN",
    "country": "Country",
    "address": "Address",
    "city": "City",
    "state": "State/Province",
    "postal_code": "ZIP/Postal Code",
    "name": "Name",
    "email": "Email",
    "color": "Color",
    "description": "Description",
    "customers": "Customers",
}
_COLOR_NAMES = dict(PALETTE)
PAGE_SIZE = 50


def changes_between(before: dict, after: dict) -> list[dict]:
    """The fields whose value differs, in the order of `after`."""
    return [
        {"field": name, "before": before.get(name), "after": value}
        for name, value in after.items()
        if (before.get(name) or None) != (value or None)
    ]


def record(
    *,
    partner_id: int,
    staff_id: int | None,
    action: str,
    customer_id: int | None = None,
    subject: str | None = None,
    changes: list[dict] | None = None,
    customer_version: int | None = None,
) -> HistoryEntry:
    """Add an entry to the session; the caller's commit saves it with the change."""
    if action not in ACTIONS:
        raise ValueError(f"unknown history action {action!r}")
    entry = HistoryEntry(
        partner_id=partner_id, staff_id=staff_id, action=action, customer_id=customer_id,
        subject=subject[:300] if subject else None, changes=changes or [],
        customer_version=customer_version,
    )
    db.session.add(entry)
    return entry


def display_value(field: str, value) -> str:
    """A stored value as the History tab shows it."""
    if value is None or value == "":
        return "Not given"
    if field == "country":
        return COUNTRY_NAMES.get(value, value)
    if field == "color":
        return _COLOR_NAMES.get(value, value)
    return str(value)


def _newest_first(query, before_id: int | None, limit: int):
    page = keyset_page(query.options(selectinload(HistoryEntry.staff)), (HistoryEntry.id,), size=limit,
                       after=(before_id,) if before_id is not None else None, descending=True)
    return page.rows, page.has_next


def customer_history(customer: Customer, *, before_id: int | None = None, limit: int = PAGE_SIZE):
    """(entries, more): a page of the customer's history, newest first."""
    query = scoped(HistoryEntry, customer.partner_id).where(HistoryEntry.customer_id == customer.id)
    return _newest_first(query, before_id, limit)


def tag_log(partner_id: int, *, before_id: int | None = None, limit: int = PAGE_SIZE):
    """(entries, more): a page of the partner's tag log, newest first."""
    query = scoped(HistoryEntry, partner_id).where(HistoryEntry.customer_id.is_(None))
    return _newest_first(query, before_id, limit)


def profile_changes_since(customer: Customer, version: int) -> list[HistoryEntry]:
    """The profile edits saved after `version`, oldest first: what a stale edit missed."""
    query = (
        scoped(HistoryEntry, customer.partner_id)
        .where(
            HistoryEntry.customer_id == customer.id,
            HistoryEntry.action == "profile.updated",
            HistoryEntry.customer_version > version,
        )
        .options(selectinload(HistoryEntry.staff))
        .order_by(HistoryEntry.id)
    )
    return list(db.session.scalars(query))
