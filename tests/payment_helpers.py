"""Paying for tests: a customer's saved method made from a sandbox token of a test card or account,
as the processor's form and services.payment_methods make it."""

from flask import current_app
from sqlalchemy import select

from extensions import db
from models import Customer, CustomerUser, PaymentMethod
from payments import gateway_for
from services import payment_methods
from unit_of_work import unit_of_work


def _saved(customer_id: int, token: str) -> int:
    with unit_of_work():
        customer = db.session.get(Customer, customer_id)
        user = db.session.scalar(select(CustomerUser).where(CustomerUser.customer_id == customer_id))
        return payment_methods.add_from_token(customer, token, gateway_for(current_app), user=user).id


def card(app, customer_id: int, number: str = "4242 4242 4242 4242", cvc: str = "123") -> int:
    """The saved card's id."""
    with app.app_context():
        made = gateway_for(current_app).tokenize_card(number=number, exp_month="12", exp_year="2040", cvc=cvc,
                                                      name="Ann Lee")
        return _saved(customer_id, made.token)


def bank(app, customer_id: int, account: str = "000123456789") -> int:
    """The saved US bank account's id."""
    with app.app_context():
        made = gateway_for(current_app).tokenize_bank(country="US", routing_number="110000000", account_number=account,
                                                      account_holder="Ann Lee", mandate_accepted=True)
        return _saved(customer_id, made.token)


def method_row(method_id: int) -> PaymentMethod:
    return db.session.get(PaymentMethod, method_id)
