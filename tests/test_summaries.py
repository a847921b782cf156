"""Invoice summaries: /settings/summaries and the pass that sends one per customer per period."""

from datetime import date, timedelta

import pytest
from automation_helpers import at, issued_invoice, pass_at
from customer_helpers import make_customer, token
from smtp_server import SmtpServer, free_port
from sqlalchemy import select, update

from extensions import db
from mailer import deliver_all_due
from models import Invoice, OutboxEmail, SummaryDelivery
from services import summaries


def summary_emails(app) -> list[tuple[str, str]]:
    with app.app_context():
        return list(db.session.execute(select(OutboxEmail.to_address, OutboxEmail.subject)
                                       .where(OutboxEmail.ref.like("summary:%")).order_by(OutboxEmail.id)).all())


def set_up(client, **fields):
    data = {"csrf_token": token(client, "/settings/summaries"), "enabled": "y", "period": "monthly",
            "start_date": "2027-01-31"} | fields
    return client.post("/settings/summaries", data={k: v for k, v in data.items() if v is not None})


@pytest.fixture
def customers(app, partner):
    owing = make_customer(app, partner, users=(("Ann Lee", "ann@example.com"),), company="Owing Co", ein="12-3456781")
    settled = make_customer(app, partner, users=(("Bo Chen", "bo@example.com"),), company="Settled Co",
                            ein="12-3456782")
    issued_invoice(app, owing, issue=date(2027, 1, 2), due=date(2027, 2, 1))
    issued_invoice(app, owing, issue=date(2027, 1, 20), due=date(2027, 3, 1))
    issued_invoice(app, settled, issue=date(2027, 1, 2), due=date(2027, 2, 1), status="paid")
    return owing, settled


def daily(app, first: date, last: date):
    day = first
    while day <= last:
        for hour in (0, 12):
            pass_at(app, at(f"{day.isoformat()} {hour:02d}:00"))
        day += timedelta(days=1)


@pytest.mark.parametrize(("period", "start", "today", "expected"), [
    ("weekly", date(2027, 1, 4), date(2027, 1, 3), None),
    ("weekly", date(2027, 1, 4), date(2027, 1, 17), date(2027, 1, 11)),
    ("monthly", date(2027, 1, 31), date(2027, 2, 27), date(2027, 1, 31)),
    ("monthly", date(2027, 1, 31), date(2027, 2, 28), date(2027, 2, 28)),
    ("monthly", date(2027, 1, 31), date(2027, 3, 30), date(2027, 2, 28)),
    ("monthly", date(2027, 1, 31), date(2027, 3, 31), date(2027, 3, 31)),
])
def test_the_period_a_day_falls_in(period, start, today, expected):
    assert summaries.period_start(period, start, today) == expected


def test_summaries_are_off_until_set_up(app, customers):
    daily(app, date(2027, 1, 25), date(2027, 2, 10))
    assert summary_emails(app) == []


def test_monthly_summaries_go_once_a_period_to_customers_with_a_balance(app, signed_in, customers):
    assert set_up(signed_in).status_code == 303
    daily(app, date(2027, 1, 29), date(2027, 4, 1))
    with app.app_context():
        periods = sorted(db.session.scalars(select(SummaryDelivery.period_start)))
    assert periods == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]
    assert [to for to, _ in summary_emails(app)] == ["ann@example.com"] * 3  # Settled Co owes nothing


def test_a_customer_left_out_gets_none(app, signed_in, customers):
    owing, _settled = customers
    set_up(signed_in)
    response = signed_in.post(f"/customers/{owing}/reminders/switch",
                              data={"csrf_token": token(signed_in, f"/customers/{owing}/reminders"),
                                    "summaries": "off"})
    assert response.status_code == 303
    assert "Owing Co" in signed_in.get("/settings/summaries").text
    daily(app, date(2027, 1, 30), date(2027, 2, 2))
    assert summary_emails(app) == []


def test_nothing_for_a_period_that_began_beyond_the_window(app, signed_in, customers):
    set_up(signed_in)
    pass_at(app, at("2027-02-10 09:00"))  # the Jan 31 period began 10 days ago
    assert summary_emails(app) == []
    pass_at(app, at("2027-02-28 00:00"))
    assert len(summary_emails(app)) == 1


def test_the_summary_lists_open_invoices_balances_and_a_pay_link(app, signed_in, customers, monkeypatch):
    owing, _ = customers
    with app.app_context():
        first = db.session.scalar(select(Invoice).where(Invoice.customer_id == owing).order_by(Invoice.id))
        db.session.execute(update(Invoice).where(Invoice.id == first.id).values(amount_paid=32_19))
        db.session.commit()
    set_up(signed_in, period="weekly", start_date="2027-02-01")
    pass_at(app, at("2027-02-01 08:00"))
    port = free_port()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    with SmtpServer(port) as server, app.app_context():
        deliver_all_due(worker="test")
    [message] = [m for m in server.messages if m["Subject"].startswith("Your open invoices")]
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Your open invoices with Acme IT: $8,032.19 as of Feb 1, 2027"
    text = message.get_body(("plain",)).get_content()
    assert "- INV-0001: $4,000.00, due Feb 1, 2027" in text and "- INV-0002: $4,032.19, due Mar 1, 2027" in text
    assert "Total due: $8,032.19" in text and "http://127.0.0.1:5000/portal/pay" in text


@pytest.mark.parametrize(("fields", "message"), [
    ({"start_date": ""}, "Enter the start date"),
    ({"start_date": "2027-02-30"}, "Enter the start date as a real date"),
    ({"period": "daily"}, "Choose every week or every month"),
    ({"period": None}, "Choose every week or every month"),
])
def test_a_bad_setting_is_refused_by_its_field(app, signed_in, fields, message):
    response = set_up(signed_in, **fields)
    assert response.status_code == 422 and message in response.text
    with app.app_context():
        assert summaries.schedule(signed_in_partner(app)) is None


def signed_in_partner(app) -> int:
    from models import Partner

    with app.app_context():
        return db.session.scalar(select(Partner.id))


def test_the_settings_need_the_csrf_token(signed_in):
    response = signed_in.post("/settings/summaries", data={"enabled": "y", "period": "weekly",
                                                           "start_date": "2027-02-01"})
    assert response.status_code == 400
