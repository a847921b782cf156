"""Create a customer with its users, once per draft; and the sync's upsert by (partner, source,
external id), through the same forms and services as the dashboard's steps and profile edit."""

from collections.abc import Mapping
from typing import Literal

from sqlalchemy import update

import keys
from extensions import db
from forms.customer import CustomerDetailsForm, judge_customer, judge_sync_key
from models import Customer, CustomerUser, Partner
from services.customer_profile import update_profile
from services.customer_users import add_users, update_user
from services.errors import Conflict, DomainError, raised_for
from services.events import emit
from services.portal_access import invite_users
from services.search import index_customer
from tenancy import customers

Outcome = Literal["created", "updated", "unchanged"]


@raised_for("uq_customers_partner_id_ein")
class DuplicateEIN(DomainError):
    """Another customer of the partner took this EIN meanwhile."""

    field = "ein"
    message = "Another customer took this EIN a moment ago"


@raised_for("uq_customers_partner_source_external_id", "uq_invoices_partner_source_external_id")
class SyncedMeanwhile(Conflict):
    """The backstop of one_sync_at_a_time: another sync made this external id's row meanwhile."""

    message = "Another request synced this external id at the same time. Send it again."


@raised_for("uq_customers_partner_id_draft_token")
class DraftAlreadyCreated(Conflict):
    """The draft became a customer meanwhile (a double click, a resubmitted POST, a second tab)."""

    message = "This customer was already created."


def committed_customer(partner_id: int, draft_token: str) -> Customer | None:
    """The customer a draft already became, if it did."""
    return db.session.scalar(
        customers(partner_id).where(Customer.draft_token == draft_token)
    )


def create_customer(*, partner_id: int, staff_id: int | None, details: dict, users: list[dict],
                    draft_token: str | None = None, source: str | None = None,
                    external_id: str | None = None) -> Customer:
    """Add the customer and its users (and their invitations) to the unit of work.

    A draft committed meanwhile makes the unit of work raise DraftAlreadyCreated (or
    DuplicateEIN, when the EIN's constraint is the one the database checked first):
    the unique (partner_id, draft_token) constraint decides, not the browser.
    """
    customer = Customer(
        partner_id=partner_id, created_by_id=staff_id, draft_token=draft_token, source=source,
        external_id=external_id, **details
    )
    customer.users = [CustomerUser(name=u["name"], email=u["email"]) for u in users]
    db.session.add(customer)
    db.session.flush()
    _after_create(customer)
    return customer


def one_sync_at_a_time(partner_id: int) -> None:
    """Serialize the partner's upserts until the unit of work ends, so two syncs of one new
    external id make one row (the second finds the first's). A no-op UPDATE of the partner's
    row: a row lock in PostgreSQL (read committed: the next read sees what the first
    committed), the write lock in SQLite; the unique (partner, source, external id) is the
    backstop."""
    db.session.execute(update(Partner).where(Partner.id == partner_id).values(id=Partner.id),
                       execution_options={"synchronize_session": False})


def synced_customer(partner_id: int, source: str, external_id: str) -> Customer | None:
    """The partner's customer a sync brought from `source` with this id there, if any."""
    return db.session.scalar(
        customers(partner_id).where(Customer.source == source, Customer.external_id == external_id))


def upsert_customer(partner_id: int, values: Mapping, *, source: str | None, external_id: str | None,
                    staff_id: int | None) -> tuple[Customer, Outcome]:
    """Create the customer, or update the one (source, external_id) already names: a sync that
    runs again never makes a second one. values: the step-1 fields and `users` (a list of
    {"name", "email"}) as text, judged by the dashboard's forms (judge_customer); on an update,
    a field not given keeps its value. Raises InvalidFields (every refused field) or a
    DomainError. Two syncs of one new customer at once: the second updates what the first made."""
    source, external_id = judge_sync_key(source, external_id)
    if external_id:
        one_sync_at_a_time(partner_id)
        existing = synced_customer(partner_id, source, external_id)
        if existing is not None:
            return existing, update_customer(existing, values, staff_id=staff_id)
    details, users = judge_customer(partner_id, values, values.get("users") or [])
    return create_customer(partner_id=partner_id, staff_id=staff_id, details=details, users=users,
                           source=source, external_id=external_id), "created"


def update_customer(customer: Customer, values: Mapping, *, staff_id: int | None) -> Outcome:
    """Change the customer's profile (the fields given; the others keep their values) and its
    users: a given user is matched by email (any case) and renamed, or added and invited; users
    not given stay (the partner may have added them on the dashboard)."""
    given = {name: values[name] for name in CustomerDetailsForm.FIELDS if name in values}
    current = {name: getattr(customer, name) or "" for name in CustomerDetailsForm.FIELDS}
    details, users = judge_customer(customer.partner_id, {**current, **given}, values.get("users"),
                                    customer_id=customer.id)
    changed = bool(update_profile(customer, details, expected_version=customer.version, staff_id=staff_id))
    if users:
        by_email = {user.email_key: user for user in customer.users}
        new = []
        for row in users:
            user = by_email.get(keys.email_key(row["email"]))
            if user is None:
                new.append(row)
            elif update_user(user, name=row["name"], email=user.email, staff_id=staff_id):
                changed = True
        if new:
            add_users(customer, new, staff_id=staff_id)
            changed = True
    return "updated" if changed else "unchanged"


def _after_create(customer: Customer) -> None:
    """What else a new customer brings, in the same unit of work: its search words, its users'
    invitations, its webhook event."""
    index_customer(customer)
    invite_users(customer.users)
    emit(customer.partner_id, "customer.created", customer)
