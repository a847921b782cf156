"""Saved payment methods: the model and services.payment_methods (default rules, archive,
tenancy, history), and the pages that list and change them."""

import pytest
from customer_helpers import make_customer
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Customer, HistoryEntry, PaymentMethod
from payments import gateway_for
from services import payment_methods as methods
from unit_of_work import unit_of_work


def card_token(app, number="4242424242424242", cvc="123"):
    with app.app_context():
        return gateway_for(app).tokenize_card(number=number, exp_month="12", exp_year="2030", cvc=cvc,
                                              name="Ann Lee").token


def bank_token(app, country="US"):
    branch = ({"routing_number": "110000000"} if country == "US"
              else {"institution_number": "000", "transit_number": "11000"})
    with app.app_context():
        return gateway_for(app).tokenize_bank(country=country, account_number="000123456789",
                                              account_holder="Northwind Dental", mandate_accepted=True,
                                              **branch).token


def add(app, partner, customer_id, token, **who):
    with app.app_context(), unit_of_work():
        customer = db.session.get(Customer, customer_id)
        method = methods.add_from_token(customer, token, gateway_for(app), **(who or {"staff_id": partner.id}))
        return method.id


def method_row(app, method_id) -> PaymentMethod:
    with app.app_context():
        row = db.session.get(PaymentMethod, method_id)
        db.session.expunge(row)
        return row


@pytest.fixture
def customer_id(app, partner):
    return make_customer(app, partner)


# -- the service -------------------------------------------------------------------------------

def test_a_card_is_saved_with_what_the_processor_says_and_the_first_becomes_default(app, partner, customer_id):
    first = method_row(app, add(app, partner, customer_id, card_token(app)))
    assert (first.kind, first.brand, first.last4, first.exp_month, first.exp_year, first.holder_name) == (
        "credit_card", "visa", "4242", 12, 2030, "Ann Lee")
    assert first.is_default and first.created_by_staff_id == partner.id
    second = method_row(app, add(app, partner, customer_id, card_token(app, "4000056655665556")))
    assert (second.kind, second.is_default) == ("debit_card", False)


def test_a_us_bank_account_keeps_its_routing_number_and_a_canadian_one_its_pad_agreement(app, partner, customer_id):
    us = method_row(app, add(app, partner, customer_id, bank_token(app)))
    assert (us.kind, us.country, us.routing_number, us.last4, us.pad_accepted_at) == (
        "bank_account", "US", "110000000", "6789", None)
    ca = method_row(app, add(app, partner, customer_id, bank_token(app, "CA")))
    assert (ca.country, ca.institution_number, ca.transit_number) == ("CA", "000", "11000")
    assert ca.pad_accepted_at is not None and "pre-authorized debit" in ca.pad_text
    assert ca.pad_accepted_by == "Northwind Dental, entered by Acme IT staff <owner@acme-it.example.com>"


def test_archiving_the_default_makes_the_newest_active_method_the_default(app, partner, customer_id):
    first, second, third = (add(app, partner, customer_id, card_token(app)) for _ in range(3))
    with app.app_context(), unit_of_work():
        methods.archive(db.session.get(PaymentMethod, first), staff_id=partner.id)
    assert method_row(app, third).is_default and not method_row(app, second).is_default
    assert method_row(app, first).archived_at is not None and not method_row(app, first).is_default
    with app.app_context(), unit_of_work():
        methods.make_default(db.session.get(PaymentMethod, second), staff_id=partner.id)
    assert method_row(app, second).is_default and not method_row(app, third).is_default
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert [m.id for m in methods.active_methods(customer)] == [second, third]
        actions = [e.action for e in db.session.query(HistoryEntry).order_by(HistoryEntry.id)
                   if e.action.startswith("payment_method")]
    assert actions == ["payment_method.added"] * 3 + ["payment_method.archived", "payment_method.default"]


def test_archiving_the_last_method_leaves_no_default_and_the_next_added_becomes_it(app, partner, customer_id):
    only = add(app, partner, customer_id, card_token(app))
    with app.app_context(), unit_of_work():
        methods.archive(db.session.get(PaymentMethod, only), staff_id=partner.id)
    assert method_row(app, add(app, partner, customer_id, card_token(app))).is_default


def test_the_database_refuses_a_second_default(app, partner, customer_id):
    add(app, partner, customer_id, card_token(app))
    second = add(app, partner, customer_id, card_token(app))
    with app.app_context(), pytest.raises((IntegrityError, methods.DefaultChanged)), unit_of_work():
        db.session.get(PaymentMethod, second).is_default = True


def test_a_token_is_saved_once_and_an_unknown_token_is_refused(app, partner, customer_id):
    token = card_token(app)
    add(app, partner, customer_id, token)
    with pytest.raises(methods.AlreadyAdded):
        add(app, partner, customer_id, token)
    with pytest.raises(methods.TokenRefused, match="not known to the processor"):
        add(app, partner, customer_id, "tok_made_up")


def test_another_customers_or_partners_method_is_not_found(app, partner, other_partner, customer_id):
    mine = add(app, partner, customer_id, card_token(app))
    neighbour = make_customer(app, partner, company="Contoso", ein=None)
    theirs = make_customer(app, other_partner)
    with app.app_context():
        assert methods.find_method(db.session.get(Customer, customer_id), mine) is not None
        assert methods.find_method(db.session.get(Customer, neighbour), mine) is None
        assert methods.find_method(db.session.get(Customer, theirs), mine) is None
