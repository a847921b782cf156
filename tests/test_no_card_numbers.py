"""Never a card or an account number in a page, a log line or the database (tests/leak_check.py
watches the whole run; these tests drive every test number through the app and check the checker)."""

import logging
import re
from html import unescape

import leak_check
import pytest
from customer_helpers import make_customer, token
from invoice_helpers import give_portal_password, make_invoice
from sqlalchemy import select

from conftest import csrf_token
from extensions import db
from models import Partner, Payment, PaymentMethod
from services import payments as service
from services.invoices import partner_today

PASSWORD = "violet tractor umbrella"
CARDS = ["4242 4242 4242 4242", "5555 5555 5555 4444", "3782 822463 10005", "6011 1111 1111 1117",
         "4000 0566 5566 5556", "4000 0000 0000 0002", "4000 0000 0000 9995", "4000 0000 0000 0069",
         "4000 0000 0000 0127", "4000 0000 0000 0119"]
ACCOUNTS = ["000123456789", "000111111116", "000111111113", "000222222227"]


def test_the_checker_finds_a_number_in_a_page_a_log_line_and_a_row(app):
    before = len(leak_check.FOUND)
    leak_check.check("a page", "<td>4242 4242 4242 4242</td>")
    logging.getLogger("payments").warning("charging 4000-0566-5566-5556")
    assert [found.split(" in ")[1] for found in leak_check.FOUND[before:]] == ["a page", "a log record of payments"]
    del leak_check.FOUND[before:]  # planted here: not a leak of the app's


def _add(client, link_text: str, fields: dict, country: str | None = None):
    page = client.get("/portal/payment-methods").text
    link = unescape(re.search(rf'href="([^"]+)">{link_text}</a>', page).group(1))
    form = client.get(link + (f"&country={country}" if country else "")).text
    return_to = unescape(re.search(r'name="return_to" type="hidden" value="([^"]*)"', form).group(1))
    answer = client.post(link.split("?", 1)[0], data={"csrf_token": csrf_token(form), "return_to": return_to,
                                                      **fields})
    assert answer.status_code == 303, answer.text
    client.get(client.get(answer.location).location)


@pytest.fixture
def portal(app, partner):
    customer_id = make_customer(app, partner, users=(("Ann Lee", "ann@example.com"),))
    give_portal_password(app, "ann@example.com", PASSWORD)
    client = app.test_client()
    client.post("/portal/login", data={"email": "ann@example.com", "password": PASSWORD,
                                       "csrf_token": csrf_token(client.get("/portal/login").text)})
    client.customer_id = customer_id
    return client


def test_every_test_number_goes_through_the_app_and_none_is_kept_shown_or_logged(app, partner, signed_in, portal):
    before, seen = len(leak_check.FOUND), leak_check.SEEN["responses"]
    with app.app_context():
        today = partner_today(db.session.get(Partner, partner.partner_id))
    for number in CARDS:
        _add(portal, "Add a card", {"number": number, "exp_month": "12", "exp_year": "2040",
                                    "cvc": "1234" if number.startswith("37") else "123", "name": "Ann Lee"})
    for account in ACCOUNTS:
        _add(portal, "Add a bank account", {"country": "US", "routing_number": "110000000",
                                            "account_number": account, "account_holder": "Ann Lee"}, country="US")
    # A refused form (a real card) is drawn again without the number.
    page = portal.get("/portal/payment-methods").text
    link = unescape(re.search(r'href="([^"]+)">Add a card</a>', page).group(1))
    form = portal.get(link).text
    portal.post(link.split("?", 1)[0], data={"csrf_token": csrf_token(form), "number": "4111 1111 1111 1111",
                                             "exp_month": "12", "exp_year": "2040", "cvc": "123", "name": "Ann"})
    with app.app_context():
        method_ids = db.session.scalars(select(PaymentMethod.id).order_by(PaymentMethod.id)).all()
    assert len(method_ids) == len(CARDS) + len(ACCOUNTS)
    for method_id in method_ids:
        invoice = make_invoice(app, portal.customer_id, issue=today, due=today, lines=(("Work", "1", 5000, None),))
        form = portal.get("/portal/pay").text
        answer = portal.post("/portal/pay", data={
            "csrf_token": csrf_token(form), "attempt": re.search(r'name="attempt" value="([^"]+)"', form).group(1),
            "action": "pay", "invoice": [invoice.id], "payment_method": method_id})
        if answer.status_code == 303:
            portal.get(answer.location)
        signed_in.get(f"/invoices/{invoice.id}")
    with app.app_context():
        service.settle_debits()
        payment_id = db.session.scalar(select(Payment.id).where(Payment.kind == "card"))
    url = f"/payments/{payment_id}"
    signed_in.post(f"{url}/refund", data={"csrf_token": token(signed_in, url), "amount": "1"})
    signed_in.get(url)
    signed_in.get(f"/customers/{portal.customer_id}/history")
    signed_in.get(f"/customers/{portal.customer_id}/payment-methods")
    with app.app_context():
        leak_check.dump_database(db)
    assert leak_check.SEEN["responses"] - seen > 60
    assert leak_check.FOUND[before:] == []
