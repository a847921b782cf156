"""Money moves exactly once under concurrent pay requests: one attempt key, one charge.

Run on SQLite and on PostgreSQL (TEST_DATABASE_URL), where the requests really overlap: the
processor's idempotency key and the unique (partner, key) of payment_attempts decide.
"""

import re
import threading
from datetime import timedelta

from customer_helpers import make_customer
from invoice_helpers import give_portal_password, invoice_row, make_invoice
from payment_helpers import card
from sqlalchemy import func, select

from conftest import csrf_token
from extensions import db
from models import Partner, Payment, PaymentAttempt
from payments.sandbox import SandboxCharge, SandboxRefund
from services.invoices import partner_today

PASSWORD = "violet tractor umbrella"
LINES = (("Support", "1", 15000, None),)


def _setup(app, partner):
    customer_id = make_customer(app, partner, users=(("Ann Lee", "ann@example.com"),))
    with app.app_context():
        today = partner_today(db.session.get(Partner, partner.partner_id))
    invoice_id = make_invoice(app, customer_id, issue=today, due=today + timedelta(days=9), lines=LINES).id
    give_portal_password(app, "ann@example.com", PASSWORD)
    client = app.test_client()
    client.post("/portal/login", data={"email": "ann@example.com", "password": PASSWORD,
                                       "csrf_token": csrf_token(client.get("/portal/login").text)})
    return customer_id, invoice_id, client


def _form(client, invoice_id, method_id) -> dict:
    page = client.get("/portal/pay").text
    return {"csrf_token": csrf_token(page), "attempt": re.search(r'name="attempt" value="([^"]+)"', page).group(1),
            "action": "pay", "invoice": [invoice_id], "payment_method": method_id}


def _post_at_once(app, cookie: str, forms: list[dict]) -> list:
    start = threading.Barrier(len(forms), timeout=20)
    answers = [None] * len(forms)

    def send(index, data):
        client = app.test_client()
        client.set_cookie("session", cookie)
        start.wait()
        answers[index] = client.post("/portal/pay", data=data)

    threads = [threading.Thread(target=send, args=(i, form)) for i, form in enumerate(forms)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_eight_pay_requests_with_one_key_charge_once_and_show_one_receipt(app, partner):
    customer_id, invoice_id, client = _setup(app, partner)
    form = _form(client, invoice_id, card(app, customer_id))
    answers = _post_at_once(app, client.get_cookie("session").value, [form] * 8)
    assert [answer.status_code for answer in answers] == [303] * 8
    assert len({answer.location for answer in answers}) == 1
    assert (_count(app, SandboxCharge), _count(app, PaymentAttempt), _count(app, Payment)) == (1, 1, 1)
    assert invoice_row(app, invoice_id).amount_paid == 15000


def test_two_tabs_paying_the_whole_invoice_at_once_keep_one_payment_and_return_the_other(app, partner):
    customer_id, invoice_id, client = _setup(app, partner)
    method_id = card(app, customer_id)
    forms = [_form(client, invoice_id, method_id), _form(client, invoice_id, method_id)]
    answers = _post_at_once(app, client.get_cookie("session").value, forms)
    assert sorted(answer.status_code for answer in answers) == [303, 422]
    refused = next(answer for answer in answers if answer.status_code == 422)
    assert "your payment was returned" in refused.text
    assert (_count(app, SandboxCharge), _count(app, SandboxRefund), _count(app, Payment)) == (2, 1, 1)
    assert invoice_row(app, invoice_id).amount_paid == 15000
