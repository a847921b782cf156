"""Create a customer with its users, once per draft."""

from extensions import db
from models import Customer, CustomerUser
from services.errors import Conflict, DomainError, raised_for
from services.portal_access import invite_users
from services.search import index_customer
from tenancy import customers


@raised_for("uq_customers_partner_id_ein")
class DuplicateEIN(DomainError):
    """Another customer of the partner took this EIN meanwhile."""

    field = "ein"
    message = "Another customer took this EIN a moment ago"


@raised_for("uq_customers_partner_id_draft_token")
class DraftAlreadyCreated(Conflict):
    """The draft became a customer meanwhile (a double click, a resubmitted POST, a second tab)."""

    message = "This customer was already created."


def committed_customer(partner_id: int, draft_token: str) -> Customer | None:
    """The customer a draft already became, if it did."""
    return db.session.scalar(
        customers(partner_id).where(Customer.draft_token == draft_token)
    )


def create_customer(*, partner_id: int, staff_id: int, details: dict, users: list[dict], draft_token: str) -> Customer:
    """Add the customer and its users (and their invitations) to the unit of work.

    A draft committed meanwhile makes the unit of work raise DraftAlreadyCreated (or
    DuplicateEIN, when the EIN's constraint is the one the database checked first):
    the unique (partner_id, draft_token) constraint decides, not the browser.
    """
    customer = Customer(
        partner_id=partner_id, created_by_id=staff_id, draft_token=draft_token, **details
    )
    customer.users = [CustomerUser(name=u["name"], email=u["email"]) for u in users]
    db.session.add(customer)
    db.session.flush()
    _after_create(customer)
    return customer


def _after_create(customer: Customer) -> None:
    """What else a new customer brings, in the same unit of work: its search words, its users'
    invitations."""
    index_customer(customer)
    invite_users(customer.users)
