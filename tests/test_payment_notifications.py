"""Payment notifications through a real SMTP server: a payment that goes through sends the
customer's users their receipt and the partner's staff a notice; a bank debit the bank returns
tells both."""

from datetime import timedelta

import pytest
from customer_helpers import make_customer
from invoice_helpers import make_invoice
from payment_helpers import LINES, bank, card, method_row
from smtp_server import SmtpServer, free_port

from extensions import db
from keys import email_key
from mailer import deliver_all_due
from models import Customer, Invoice, Partner, StaffUser
from services import payments as service
from services.invoices import partner_today


@pytest.fixture
def customer_id(app, partner):
    with app.app_context():  # a second staff user: every staff user hears
        db.session.add(StaffUser(partner_id=partner.partner_id, name="Kim Cho", email="kim@acme-it.example.com",
                                 email_key=email_key("kim@acme-it.example.com"), password_hash="x"))
        db.session.commit()
    return make_customer(app, partner, users=(("Ann Lee", "ann@example.com"), ("Bob Ray", "bob@example.com")))


@pytest.fixture
def invoice_id(app, partner, customer_id):
    with app.app_context():
        today = partner_today(db.session.get(Partner, partner.partner_id))
    return make_invoice(app, customer_id, issue=today, due=today + timedelta(days=30), lines=LINES).id


def pay(app, customer_id, invoice_id, method):
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        service.pay(customer, [service.Share(db.session.get(Invoice, invoice_id), 15000)], method_row(method), "k-1")


def delivered(app, monkeypatch, then=lambda: None) -> dict[str, list]:
    """{recipient: [messages]} of what the outbox sends (after `then`, run in the app)."""
    port = free_port()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    with SmtpServer(port) as server, app.app_context():
        then()
        deliver_all_due(worker="test")
    got: dict[str, list] = {}
    for message in server.messages:
        if "invites you" in message["Subject"]:  # the portal invitations making the customer sent
            continue
        got.setdefault(message["To"], []).append(message)
    return got


def test_a_card_payment_sends_receipts_to_the_customer_and_a_notice_to_every_staff_user(
        app, monkeypatch, customer_id, invoice_id):
    pay(app, customer_id, invoice_id, card(app, customer_id))
    got = delivered(app, monkeypatch)
    assert sorted(got) == ["ann@example.com", "bob@example.com", "kim@acme-it.example.com",
                           "owner@acme-it.example.com"]
    assert got["ann@example.com"][0]["Subject"].startswith("Receipt from Acme IT: $150.00")
    notice = got["kim@acme-it.example.com"]
    assert len(notice) == 1
    assert notice[0]["Subject"] == "Payment received: $150.00 from Northwind Dental for INV-0001"
    text = notice[0].get_body(("plain",)).get_content()
    assert "Hello Kim Cho," in text and "INV-0001: $150.00" in text and "Visa •••• 4242" in text
    assert f"/customers/{customer_id}" in text
    assert "4242 4242" not in text


def test_a_bank_debit_notifies_the_staff_when_it_settles_not_before(app, monkeypatch, customer_id, invoice_id):
    pay(app, customer_id, invoice_id, bank(app, customer_id))
    got = delivered(app, monkeypatch)
    assert sorted(got) == ["ann@example.com", "bob@example.com"]  # the receipt (pending) only
    got = delivered(app, monkeypatch, service.settle_debits)
    assert sorted(got) == ["kim@acme-it.example.com", "owner@acme-it.example.com"]
    assert got["owner@acme-it.example.com"][0]["Subject"].startswith("Payment received: $150.00")


def test_a_failed_bank_debit_tells_the_customers_users_and_the_staff(app, monkeypatch, customer_id, invoice_id):
    pay(app, customer_id, invoice_id, bank(app, customer_id, "000111111113"))
    delivered(app, monkeypatch)
    got = delivered(app, monkeypatch, service.settle_debits)
    assert sorted(got) == ["ann@example.com", "bob@example.com", "kim@acme-it.example.com",
                           "owner@acme-it.example.com"]
    assert {m[0]["Subject"] for m in got.values()} == {"Payment failed: $150.00 for INV-0001"}
    customer_text = got["ann@example.com"][0].get_body(("plain",)).get_content()
    assert "Your payment of $150.00 to Acme IT" in customer_text
    assert "The bank account is closed. Use another method." in customer_text
    assert "http://127.0.0.1:5000/portal" in customer_text and "/customers/" not in customer_text
    staff_text = got["owner@acme-it.example.com"][0].get_body(("plain",)).get_content()
    assert "A payment of $150.00 from Northwind Dental" in staff_text and "open again" in staff_text
    assert f"/customers/{customer_id}" in staff_text
    # settling again sends nothing more
    assert delivered(app, monkeypatch, service.settle_debits) == {}
