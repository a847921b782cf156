"""Paying for tests: a customer's saved method made from a sandbox token of a test card or account,
as the processor's form and services.payment_methods make it; the payment tests' shared fixtures
(a test module takes them by name: `today = payment_helpers.today`) and what the sandbox charged."""

from datetime import date

import pytest
from customer_helpers import make_customer
from flask import current_app
from sqlalchemy import select

from extensions import db
from models import Customer, CustomerUser, Partner, PaymentMethod
from payments import gateway_for
from payments.sandbox import SandboxCharge
from services import payment_methods
from services.invoices import partner_today
from unit_of_work import unit_of_work

LINES = (("Support", "1", 15000, None),)  # $150.00


@pytest.fixture
def today(app, partner) -> date:
    """The partner's today (its time zone)."""
    with app.app_context():
        return partner_today(db.session.get(Partner, partner.partner_id))


@pytest.fixture
def customer_id(app, partner) -> int:
    """A customer of the partner with two users, Ann Lee and Bob Ray."""
    return make_customer(app, partner, users=(("Ann Lee", "ann@example.com"), ("Bob Ray", "bob@example.com")))


def charges(app) -> list[int]:
    """What the sandbox processor charged, in cents, oldest first."""
    with app.app_context():
        return list(db.session.scalars(select(SandboxCharge.amount_cents).order_by(SandboxCharge.created_at)))


def _saved(customer_id: int, token: str, staff) -> int:
    """Added by the staff member, else by the customer's first user."""
    with unit_of_work():
        who = {"staff_id": staff.id} if staff is not None else {
            "user": db.session.scalar(select(CustomerUser).where(CustomerUser.customer_id == customer_id))}
        customer = db.session.get(Customer, customer_id)
        return payment_methods.add_from_token(customer, token, gateway_for(current_app), **who).id


def card(app, customer_id: int, number: str = "4242 4242 4242 4242", cvc: str = "123", *, staff=None) -> int:
    """The saved card's id (added by `staff`, as the Payment methods tab adds it, else by a portal user)."""
    with app.app_context():
        made = gateway_for(current_app).tokenize_card(number=number, exp_month="12", exp_year="2040", cvc=cvc,
                                                      name="Ann Lee")
        return _saved(customer_id, made.token, staff)


def bank(app, customer_id: int, account: str = "000123456789") -> int:
    """The saved US bank account's id."""
    with app.app_context():
        made = gateway_for(current_app).tokenize_bank(country="US", routing_number="110000000", account_number=account,
                                                      account_holder="Ann Lee", mandate_accepted=True)
        return _saved(customer_id, made.token, None)


def method_row(method_id: int) -> PaymentMethod:
    return db.session.get(PaymentMethod, method_id)
