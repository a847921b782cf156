"""Payments: recorded by hand and refunded on the dashboard, paid through the processor once per
key, bank debits settling; the invoice's balance and status kept in step to the cent."""

from datetime import timedelta
from decimal import Decimal

import payment_helpers
import pytest
from customer_helpers import history_of, make_customer, token
from invoice_helpers import invoice_row, make_invoice
from payment_helpers import LINES, bank, card, charges, method_row
from sqlalchemy import func, select

from extensions import db
from models import Customer, Invoice, OutboxEmail, Partner, Payment, PaymentAttempt, WebhookEvent
from services import payments as service
from services.webhooks import add_endpoint
from unit_of_work import unit_of_work

today = payment_helpers.today
customer_id = payment_helpers.customer_id


@pytest.fixture
def invoice_id(app, customer_id, today):
    return make_invoice(app, customer_id, issue=today, due=today + timedelta(days=30), lines=LINES).id


def record(client, invoice_id, amount, method="check", paid_on="2026-11-20", reference="1042"):
    url = f"/invoices/{invoice_id}"
    return client.post(f"{url}/payments", data={"csrf_token": token(client, url), "amount": amount,
                                                "paid_on": paid_on, "method": method, "reference": reference})


def test_recording_part_then_the_rest_makes_the_invoice_partially_paid_then_paid(app, signed_in, invoice_id,
                                                                                 customer_id):
    answer = record(signed_in, invoice_id, "50.25")
    assert answer.status_code == 303 and answer.location.endswith(f"/invoices/{invoice_id}")
    page = signed_in.get(f"/invoices/{invoice_id}").text
    assert 'data-status="partially_paid"' in page and "$99.75" in page and "1042" in page
    assert invoice_row(app, invoice_id).amount_paid == 5025
    record(signed_in, invoice_id, "99.75", method="wire")
    invoice = invoice_row(app, invoice_id)
    assert (invoice.status, invoice.amount_paid, invoice.balance) == ("paid", 15000, 0)
    page = signed_in.get(f"/invoices/{invoice_id}").text
    assert 'data-status="paid"' in page and "$0.00" in page
    assert [entry[:2] for entry in history_of(app, customer_id)][-2:] == [
        ("payment.recorded", "$50.25 for INV-0001 (Check)"),
        ("payment.recorded", "$99.75 for INV-0001 (Wire transfer)")]


@pytest.mark.parametrize(("amount", "message"), [
    ("150.01", "Enter $150.00 or less: that is the balance"),
    ("", "Enter the amount"),
    ("0", "Enter an amount more than 0"),
    ("-5", "Amount cannot be negative"),
    ("12.345", "Amount can have at most 2 decimal places"),
])
def test_an_amount_the_balance_does_not_allow_is_refused_by_the_field(app, signed_in, invoice_id, amount, message):
    answer = record(signed_in, invoice_id, amount)
    assert answer.status_code == 422
    assert message in answer.text and "Error: " in answer.text
    assert invoice_row(app, invoice_id).amount_paid == 0


def test_a_bad_date_or_method_is_refused_by_its_field(app, signed_in, invoice_id):
    answer = record(signed_in, invoice_id, "10", paid_on="2026-02-30", method="card")
    assert answer.status_code == 422
    assert "Enter the date paid as a real date" in answer.text and "Choose how it was paid" in answer.text


def test_another_partners_invoice_is_404(app, signed_in, other_partner, today):
    theirs = make_customer(app, other_partner, company="Rival client")
    invoice = make_invoice(app, theirs, issue=today, due=today, lines=LINES).id
    answer = signed_in.post(f"/invoices/{invoice}/payments", data={
        "csrf_token": token(signed_in, "/invoices"), "amount": "10", "paid_on": "2026-11-20", "method": "cash"})
    assert answer.status_code == 404


def test_a_payment_page_lists_it_and_offers_no_refund_for_a_check(app, signed_in, invoice_id):
    record(signed_in, invoice_id, "20")
    page = signed_in.get(f"/invoices/{invoice_id}").text
    with app.app_context():
        payment_id = db.session.scalar(select(Payment.id))
    assert f'href="/payments/{payment_id}"' in page
    shown = signed_in.get(f"/payments/{payment_id}")
    assert shown.status_code == 200 and "Check" in shown.text and 'name="amount"' not in shown.text


# -- through the processor -------------------------------------------------------------------


def pay(app, customer_id, method, shares, key="attempt-1"):
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        rows = [service.Share(db.session.get(Invoice, invoice), amount) for invoice, amount in shares]
        attempt = service.pay(customer, rows, method_row(method), key)
        return attempt.id


def test_a_card_pays_two_invoices_with_one_charge_and_one_receipt_per_user(app, customer_id, invoice_id, today):
    second = make_invoice(app, customer_id, issue=today, due=today, lines=LINES).id
    pay(app, customer_id, card(app, customer_id), [(invoice_id, 15000), (second, 4000)])
    assert (invoice_row(app, invoice_id).status, invoice_row(app, second).balance) == ("paid", 11000)
    assert len(charges(app)) == 1
    with app.app_context():
        receipts = db.session.scalars(select(OutboxEmail).where(OutboxEmail.subject.like("Receipt%"))).all()
    assert sorted(email.to_address for email in receipts) == ["ann@example.com", "bob@example.com"]
    assert "$190.00" in receipts[0].subject


def test_the_same_attempt_key_charges_and_records_once(app, customer_id, invoice_id):
    method = card(app, customer_id)
    first = pay(app, customer_id, method, [(invoice_id, 5000)])
    again = pay(app, customer_id, method, [(invoice_id, 5000)])
    assert first == again and len(charges(app)) == 1
    assert invoice_row(app, invoice_id).amount_paid == 5000


def test_a_failed_write_after_the_charge_is_recorded_by_the_next_attempt_without_charging_again(
        app, customer_id, invoice_id, monkeypatch):
    method = card(app, customer_id)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(service, "queue_receipt", broken)
    with pytest.raises(RuntimeError):
        pay(app, customer_id, method, [(invoice_id, 15000)])
    assert len(charges(app)) == 1 and invoice_row(app, invoice_id).amount_paid == 0
    monkeypatch.undo()
    pay(app, customer_id, method, [(invoice_id, 15000)])
    assert len(charges(app)) == 1
    assert invoice_row(app, invoice_id).status == "paid"


@pytest.mark.parametrize(("number", "reason"), [
    ("4000 0000 0000 0002", "The card was declined."),
    ("4000 0000 0000 9995", "insufficient funds"),
    ("4000 0000 0000 0069", "The card has expired."),
    ("4000 0000 0000 0127", "security code is incorrect"),
    ("4000 0000 0000 0119", "could not be processed"),
])
def test_a_declined_card_records_nothing(app, customer_id, invoice_id, number, reason):
    with pytest.raises(service.PaymentFailed, match=reason):
        pay(app, customer_id, card(app, customer_id, number), [(invoice_id, 15000)])
    assert invoice_row(app, invoice_id).amount_paid == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PaymentAttempt)) == 0


def test_a_bank_debit_is_pending_then_settles(app, customer_id, invoice_id):
    pay(app, customer_id, bank(app, customer_id), [(invoice_id, 15000)])
    invoice = invoice_row(app, invoice_id)
    assert (invoice.status, invoice.balance) == ("open", 0)
    with app.app_context():
        assert service.settle_debits() == "settled 1 bank debit payment(s)"
        assert db.session.scalar(select(Payment.status)) == "succeeded"
    assert invoice_row(app, invoice_id).status == "paid"


def test_a_failed_bank_debit_opens_the_invoice_again(app, customer_id, invoice_id):
    pay(app, customer_id, bank(app, customer_id, "000111111113"), [(invoice_id, 15000)])
    with app.app_context():
        service.settle_debits()
        assert db.session.scalar(select(Payment.failure_message)) == "The bank account is closed. Use another method."
    invoice = invoice_row(app, invoice_id)
    assert (invoice.status, invoice.balance) == ("open", 15000)


def test_refunds_reopen_the_invoice_and_never_exceed_the_payment(app, signed_in, customer_id, invoice_id):
    pay(app, customer_id, card(app, customer_id), [(invoice_id, 15000)])
    with app.app_context():
        payment_id = db.session.scalar(select(Payment.id))
    url = f"/payments/{payment_id}"
    answer = signed_in.post(f"{url}/refund", data={"csrf_token": token(signed_in, url), "amount": "40"})
    assert answer.status_code == 303 and answer.location.endswith(f"/invoices/{invoice_id}")
    invoice = invoice_row(app, invoice_id)
    assert (invoice.status, invoice.balance) == ("open", 4000)
    too_much = signed_in.post(f"{url}/refund", data={"csrf_token": token(signed_in, url), "amount": "110.01"})
    assert too_much.status_code == 422 and "Enter $110.00 or less" in too_much.text
    page = signed_in.get(url).text
    assert "Partially refunded" in page and "$40.00" in page
    assert history_of(app, customer_id)[-1][:2] == ("payment.refunded", "$40.00 for INV-0001 (Visa •••• 4242)")


def test_a_resubmitted_refund_form_refunds_once(app, signed_in, customer_id, invoice_id):
    pay(app, customer_id, card(app, customer_id), [(invoice_id, 15000)])
    with app.app_context():
        payment_id = db.session.scalar(select(Payment.id))
    url = f"/payments/{payment_id}"
    data = {"csrf_token": token(signed_in, url), "amount": "10", "key": "refund-form-1"}
    assert signed_in.post(f"{url}/refund", data=data).status_code == 303
    assert signed_in.post(f"{url}/refund", data=data).status_code == 303
    assert invoice_row(app, invoice_id).amount_paid == 14000


def test_surcharge_on_credit_cards_only_and_none_for_an_exempt_customer(app, partner, customer_id, invoice_id, today):
    with app.app_context(), unit_of_work():
        db.session.get(Partner, partner.partner_id).surcharge_percent = 3
    debit = make_invoice(app, customer_id, issue=today, due=today, lines=LINES).id
    pay(app, customer_id, card(app, customer_id), [(invoice_id, 10000)], key="credit")
    pay(app, customer_id, card(app, customer_id, "4000 0566 5566 5556"), [(debit, 10000)], key="debit")
    assert charges(app) == [10300, 10000]
    with app.app_context(), unit_of_work():
        db.session.get(Customer, customer_id).surcharge_exempt = True
    pay(app, customer_id, card(app, customer_id), [(invoice_id, 1000)], key="exempt")
    assert 1000 in charges(app)


def test_payments_emit_their_webhook_events_with_the_change(app, partner, monkeypatch, customer_id, invoice_id):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_LOOPBACK", True)
    with app.app_context(), unit_of_work():
        add_endpoint(partner.partner_id, "http://127.0.0.1:9/hooks")
    pay(app, customer_id, card(app, customer_id), [(invoice_id, 15000)])
    with app.app_context():
        assert db.session.scalars(select(WebhookEvent.type).where(WebhookEvent.type.not_like("payment_method.%"))
                                  .order_by(WebhookEvent.id)).all() == ["invoice.paid", "payment.succeeded"]


def test_an_invoice_with_payments_is_not_voided_until_they_are_refunded(app, signed_in, invoice_id):
    record(signed_in, invoice_id, "50.00")
    url = f"/invoices/{invoice_id}"
    answer = signed_in.post(f"{url}/void", data={"csrf_token": token(signed_in, url), "reason": "Wrong customer"})
    assert answer.status_code == 409
    assert "INV-0001 has payments: refund them before voiding it" in answer.text
    invoice = invoice_row(app, invoice_id)
    assert (invoice.status, invoice.amount_paid) == ("open", 5000)


def test_staff_exempt_a_customer_from_the_card_surcharge_on_its_payment_methods_tab(app, signed_in, partner,
                                                                                    customer_id):
    with app.app_context(), unit_of_work():
        settings = db.session.get(Partner, partner.partner_id)
        settings.surcharges_on, settings.surcharge_percent = True, Decimal("2.5")
    url = f"/customers/{customer_id}/payment-methods"
    page = signed_in.get(url).text
    assert "Credit card payments carry the 2.5% surcharge" in page
    answer = signed_in.post(f"{url}/surcharge", data={"csrf_token": token(signed_in, url), "exempt": "y"})
    assert answer.status_code == 303
    page = signed_in.get(url).text
    assert "This customer is exempt" in page and "Charge the surcharge again" in page
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        settings = db.session.get(Partner, partner.partner_id)
        assert service.surcharge_percent(settings, customer, "credit_card") == 0
    assert history_of(app, customer_id)[-1][0] == "surcharge.exempted"
    signed_in.post(f"{url}/surcharge", data={"csrf_token": token(signed_in, url), "exempt": "n"})
    assert "Credit card payments carry the 2.5% surcharge" in signed_in.get(url).text
    assert signed_in.post(f"{url}/surcharge", data={"csrf_token": token(signed_in, url)}).status_code == 400
