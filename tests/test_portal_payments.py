"""Paying in the portal: the pay page, the sandbox's whole matrix, a decline keeping the choices,
one charge per attempt key, receipts, and bank debits settling."""

import html
import re
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import payment_helpers
import pytest
from customer_helpers import make_customer
from invoice_helpers import give_portal_password, invoice_row, make_invoice
from payment_helpers import LINES, bank, card, charges
from sqlalchemy import func, select

from conftest import csrf_token
from extensions import db
from models import Invoice, OutboxEmail, Partner, Payment, PaymentMethod
from services import payments as service
from unit_of_work import unit_of_work

PORTAL_PASSWORD = "violet tractor umbrella"
today = payment_helpers.today
customer_id = payment_helpers.customer_id


@pytest.fixture
def invoices(app, customer_id, today):
    return [make_invoice(app, customer_id, issue=today, due=today + timedelta(days=days), lines=LINES).id
            for days in (10, 20)]


@pytest.fixture
def portal(app, customer_id):
    give_portal_password(app, "ann@example.com", PORTAL_PASSWORD)
    client = app.test_client()
    page = client.get("/portal/login")
    client.post("/portal/login", data={"email": "ann@example.com", "password": PORTAL_PASSWORD,
                                       "csrf_token": csrf_token(page.text)})
    return client


def form_of(page: str) -> dict:
    return {"csrf_token": csrf_token(page), "attempt": re.search(r'name="attempt" value="([^"]+)"', page).group(1),
            "action": "pay"}


def test_the_pay_page_lists_open_invoices_and_methods_with_the_default_chosen(app, portal, customer_id, invoices):
    first, second = card(app, customer_id), card(app, customer_id, "5555 5555 5555 4444")
    page = portal.get("/portal/pay").text
    assert f'name="invoice" value="{invoices[0]}"' in page and f'name="amount-{invoices[1]}"' in page
    assert re.search(rf'name="payment_method" value="{first}" checked', page)
    assert f'name="payment_method" value="{second}">' in page
    assert "$150.00" in page


def test_paying_two_invoices_one_in_part_charges_once_and_shows_the_receipt(app, portal, customer_id, invoices):
    method = card(app, customer_id)
    data = {**form_of(portal.get("/portal/pay").text), "invoice": invoices, f"amount-{invoices[1]}": "40.50",
            "payment_method": method}
    answer = portal.post("/portal/pay", data=data)
    assert answer.status_code == 303
    assert re.fullmatch(r".*/portal/payments/\d+", answer.location)
    again = portal.post("/portal/pay", data=data)  # the form resubmitted
    assert again.status_code == 303 and again.location == answer.location
    assert charges(app) == [19050]
    assert (invoice_row(app, invoices[0]).status, invoice_row(app, invoices[1]).balance) == ("paid", 10950)
    receipt = portal.get(answer.location).text
    assert "Payment received" in receipt and "$190.50" in receipt and "Visa •••• 4242" in receipt
    invoice_page = portal.get(f"/portal/invoices/{invoices[1]}").text
    assert "$109.50" in invoice_page and 'data-status="partially_paid"' in invoice_page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxEmail)
                                 .where(OutboxEmail.subject.like("Receipt%"))) == 2


CARD_MATRIX = [
    ("4242 4242 4242 4242", None), ("5555 5555 5555 4444", None), ("3782 822463 10005", None),
    ("6011 1111 1111 1117", None), ("4000 0566 5566 5556", None),
    ("4000 0000 0000 0002", "The card was declined. Ask the card's bank why, or use another card."),
    ("4000 0000 0000 9995", "The card has insufficient funds."),
    ("4000 0000 0000 0069", "The card has expired."),
    ("4000 0000 0000 0127", "The card's security code is incorrect."),
    ("4000 0000 0000 0119", "The card could not be processed just now."),
]


@pytest.mark.parametrize(("number", "reason"), CARD_MATRIX)
def test_every_test_card_pays_or_is_declined_in_plain_words(app, portal, customer_id, invoices, number, reason):
    cvc = "1234" if number.startswith("37") else "123"
    method = card(app, customer_id, number, cvc=cvc)
    data = {**form_of(portal.get("/portal/pay").text), "invoice": [invoices[0]], f"amount-{invoices[0]}": "25",
            "payment_method": method}
    answer = portal.post("/portal/pay", data=data)
    if reason is None:
        assert answer.status_code == 303
        assert invoice_row(app, invoices[0]).balance == 12500
        return
    assert answer.status_code == 402
    assert reason in html.unescape(answer.text) and "Nothing was charged." in answer.text
    assert 'value="25"' in answer.text and re.search(rf'value="{invoices[0]}" checked', answer.text)
    assert re.search(rf'value="{method}" checked', answer.text)
    assert invoice_row(app, invoices[0]).amount_paid == 0


@pytest.mark.parametrize(("account", "status", "reason"), [
    ("000123456789", "succeeded", ""),
    ("000111111116", "failed", "The bank found no such account."),
    ("000111111113", "failed", "The bank account is closed."),
    ("000222222227", "failed", "The bank account has insufficient funds."),
])
def test_every_test_account_starts_pending_then_settles(app, portal, customer_id, invoices, account, status, reason):
    method = bank(app, customer_id, account)
    data = {**form_of(portal.get("/portal/pay").text), "invoice": [invoices[0]], "payment_method": method}
    answer = portal.post("/portal/pay", data=data)
    assert answer.status_code == 303
    assert "Payment pending" in portal.get(answer.location).text
    assert invoice_row(app, invoices[0]).balance == 0
    with app.app_context():
        service.settle_debits()
    invoice = invoice_row(app, invoices[0])
    assert (invoice.status, invoice.balance) == (("paid", 0) if status == "succeeded" else ("open", 15000))
    receipt = portal.get(answer.location).text
    assert reason in html.unescape(receipt)
    with app.app_context():
        assert db.session.scalar(select(Payment.status)) == status


@pytest.mark.parametrize(("amounts", "message"), [
    ({}, "Choose at least one invoice to pay"),
    ({"amount": "150.01"}, "Enter $150.00 or less: that is the balance"),
    ({"amount": "1.234"}, "Amount can have at most 2 decimal places"),
])
def test_refused_choices_are_shown_by_their_field_and_charge_nothing(app, portal, customer_id, invoices, amounts,
                                                                     message):
    method = card(app, customer_id)
    data = {**form_of(portal.get("/portal/pay").text), "payment_method": method}
    if amounts:
        data |= {"invoice": [invoices[0]], f"amount-{invoices[0]}": amounts["amount"]}
    answer = portal.post("/portal/pay", data=data)
    assert answer.status_code == 422 and message in answer.text and "<title>Error: " in answer.text
    assert charges(app) == []


def test_another_companys_method_or_invoice_is_refused(app, portal, partner, customer_id, invoices, today):
    other = make_customer(app, partner, company="Other Co", ein=None, users=(("Cy Dee", "cy@example.com"),))
    theirs = make_invoice(app, other, issue=today, due=today, lines=LINES).id
    their_card = card(app, other)
    data = {**form_of(portal.get("/portal/pay").text), "invoice": [theirs], "payment_method": their_card}
    answer = portal.post("/portal/pay", data=data)
    assert answer.status_code == 422 and "Choose how to pay" in answer.text
    assert charges(app) == []


def test_a_surcharge_is_shown_before_pay_and_on_the_receipt_as_its_own_line(app, portal, partner, customer_id,
                                                                             invoices):
    with app.app_context(), unit_of_work():
        db.session.get(Partner, partner.partner_id).surcharge_percent = 2.5
    credit, debit = card(app, customer_id), card(app, customer_id, "4000 0566 5566 5556")
    page = portal.get("/portal/pay").text
    assert page.count("adds a 2.5% card surcharge") == 1
    data = {**form_of(page), "invoice": [invoices[0]], "payment_method": credit}
    receipt = portal.get(portal.post("/portal/pay", data=data).location).text
    assert "Card surcharge" in receipt and "$3.75" in receipt and "$153.75" in receipt
    data = {**form_of(portal.get("/portal/pay").text), "invoice": [invoices[1]], "payment_method": debit}
    receipt = portal.get(portal.post("/portal/pay", data=data).location).text
    assert "Card surcharge" not in receipt
    assert charges(app) == [15375, 15000]


def test_someone_elses_receipt_is_404(app, portal, partner, today):
    other = make_customer(app, partner, company="Other Co", ein=None, users=(("Cy Dee", "cy@example.com"),))
    theirs = make_invoice(app, other, issue=today, due=today, lines=LINES).id
    with app.app_context(), unit_of_work():
        payment_id = service.record_offline(db.session.get(Invoice, theirs), 100, today, "cash", "",
                                            staff_id=partner.id).id
    assert portal.get(f"/portal/payments/{payment_id}").status_code == 404


# -- Add a payment method, from the pay page and back ------------------------------------------


def test_adding_a_card_from_the_pay_page_comes_back_to_it_with_the_choices_and_the_new_card(
        app, portal, customer_id, invoices):
    from test_payment_methods import CARD, add_links, submit

    card(app, customer_id)  # the default so far
    data = {**form_of(portal.get("/portal/pay").text), "invoice": [invoices[1]], f"amount-{invoices[1]}": "40.50",
            "action": "add-method"}
    to_methods = portal.post("/portal/pay", data=data)
    assert to_methods.status_code == 303 and urlsplit(to_methods.location).path == "/portal/payment-methods"
    assert "Go back without adding one" in portal.get(to_methods.location).text
    added = submit(portal, add_links(portal, to_methods.location)["Add a card"],
                   {**CARD, "number": "5555 5555 5555 4444"})
    back = portal.get(added.location)  # the app's way back
    assert back.status_code == 303 and urlsplit(back.location).path == "/portal/pay"
    page = portal.get(back.location).text
    with app.app_context():
        new = db.session.scalar(select(PaymentMethod.id).where(PaymentMethod.last4 == "4444"))
    assert "Added Mastercard •••• 4444." in page
    assert re.search(rf'name="payment_method" value="{new}" checked', page)
    assert re.search(rf'value="{invoices[1]}" checked', page) and 'value="40.50"' in page
    assert not re.search(rf'value="{invoices[0]}" checked', page)
    assert charges(app) == []


@pytest.mark.parametrize("next_page", ["https://evil.example.com", "//evil.example.com", "/\\evil.example.com"])
def test_a_way_back_off_the_site_is_refused_for_the_payment_methods_page(app, portal, next_page):
    from test_payment_methods import CARD, add_links, submit

    methods = f"/portal/payment-methods?{urlencode({'next': next_page})}"
    assert "Go back without adding one" not in portal.get(methods).text
    links = add_links(portal, methods)
    assert "evil" not in " ".join(links.values())
    added = submit(portal, links["Add a card"], {**CARD, "number": "4242 4242 4242 4242"})
    back = portal.get(f"{added.location}&{urlencode({'next': next_page})}")  # planted on the way back itself
    assert (back.status_code, back.location) == (303, "/portal/payment-methods")
