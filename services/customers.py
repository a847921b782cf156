"""Create a customer with its users, once per draft."""

from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Customer, CustomerUser
from services.portal_access import invite_users
from tenancy import customers


class DuplicateEIN(Exception):
    """Another customer of the partner took this EIN meanwhile."""


def committed_customer(partner_id: int, draft_token: str) -> Customer | None:
    """The customer a draft already became, if it did."""
    return db.session.scalar(
        customers(partner_id).where(Customer.draft_token == draft_token)
    )


def create_customer(
    *, partner_id: int, staff_id: int, details: dict, users: list[dict], draft_token: str
) -> tuple[Customer, bool]:
    """Write the customer and its users in one transaction.

    Returns (customer, created). A draft that was already committed (a double
    click, a resubmitted POST, a second tab) returns the existing customer:
    the unique (partner_id, draft_token) constraint decides, not the browser.
    """
    customer = Customer(
        partner_id=partner_id, created_by_id=staff_id, draft_token=draft_token, **details
    )
    customer.users = [CustomerUser(name=u["name"], email=u["email"]) for u in users]
    db.session.add(customer)
    try:
        db.session.flush()
        _after_create(customer)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = committed_customer(partner_id, draft_token)
        if existing is not None:
            return existing, False
        if details.get("ein") and db.session.scalar(
            customers(partner_id).with_only_columns(Customer.id).where(Customer.ein == details["ein"])
        ):
            raise DuplicateEIN(details["ein"]) from None
        raise
    return customer, True


def _after_create(customer: Customer) -> None:
    """What else a new customer brings, in the same transaction: its users' invitations."""
    invite_users(customer.users)
