"""The automation pass (flask --app app automation run --at …): reminders at the partner's
moments, each step of each invoice once, never after payment or void, caught up within the window."""

import os
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from automation_helpers import at, issued_invoice, ledger, pass_at, reminder_subjects, set_time_zone
from customer_helpers import make_customer
from smtp_server import SmtpServer, free_port
from sqlalchemy import func, select, update

from extensions import db
from mailer import deliver_all_due
from models import Invoice, InvoiceSend, OutboxEmail
from unit_of_work import unit_of_work

DUE = date(2027, 3, 15)
USERS = (("Ann Lee", "ann@example.com"), ("Bo Chen", "bo@example.com"))


@pytest.fixture
def customer_id(app, partner):
    return make_customer(app, partner, users=USERS)


@pytest.fixture
def invoice_id(app, customer_id):
    return issued_invoice(app, customer_id, issue=date(2027, 2, 13), due=DUE)


def daily(app, first: date, last: date, hour: int = 9, zone: str = "America/New_York"):
    day = first
    while day <= last:
        pass_at(app, at(f"{day.isoformat()} {hour:02d}:00", zone))
        day += timedelta(days=1)


def test_sixty_days_of_passes_send_each_step_once_on_its_day(app, invoice_id):
    sent_on: dict[str, date] = {}
    day = date(2027, 2, 14)
    while day <= date(2027, 4, 14):
        for hour in (0, 1, 9, 23):  # a scheduler that runs more often than daily
            pass_at(app, at(f"{day.isoformat()} {hour:02d}:00"))
        for subject in reminder_subjects(app):
            sent_on.setdefault(subject, day)
        day += timedelta(days=1)
    subjects = reminder_subjects(app)
    assert set(subjects.values()) == {2}, "each reminder went once to each of the two users"
    assert sent_on == {
        "Reminder: INV-0001 is due on Mar 15, 2027": date(2027, 3, 12),
        "Reminder: INV-0001 is due today": date(2027, 3, 15),
        "Reminder: INV-0001 is overdue": date(2027, 3, 22),
        "Reminder: INV-0001 is two weeks overdue": date(2027, 3, 29),
    }


def test_nothing_after_payment_or_void(app, customer_id, invoice_id):
    voided = issued_invoice(app, customer_id, issue=date(2027, 2, 13), due=DUE)
    daily(app, date(2027, 3, 10), date(2027, 3, 13))
    assert len(ledger(app, invoice_id)) == 1 and len(ledger(app, voided)) == 1
    with app.app_context(), unit_of_work():
        db.session.execute(update(Invoice).where(Invoice.id == invoice_id)
                           .values(status="paid", amount_paid=Invoice.total))
        db.session.execute(update(Invoice).where(Invoice.id == voided).values(status="void", void_reason="Wrong"))
    daily(app, date(2027, 3, 14), date(2027, 4, 30))
    assert ledger(app, invoice_id) == [(-3, "sent")] and ledger(app, voided) == [(-3, "sent")]


def test_a_partly_paid_invoice_is_reminded_of_its_balance(app, invoice_id):
    with app.app_context(), unit_of_work():
        db.session.execute(update(Invoice).where(Invoice.id == invoice_id).values(amount_paid=100000))
    pass_at(app, at("2027-03-15 09:00"))
    with app.app_context():
        body = db.session.scalar(select(OutboxEmail.text_body).where(OutboxEmail.ref == f"reminder:{invoice_id}"))
    assert "for $3,032.19 is due today" in body


def test_a_two_day_gap_is_caught_up_once(app, invoice_id):
    daily(app, date(2027, 3, 12), date(2027, 3, 14))
    pass_at(app, at("2027-03-17 09:00"))  # down on the 15th and the 16th
    pass_at(app, at("2027-03-17 10:00"))
    assert reminder_subjects(app)["Reminder: INV-0001 is due today"] == 2
    assert ledger(app, invoice_id) == [(-3, "sent"), (0, "sent")]


def test_a_long_gap_sends_only_the_latest_step_and_nothing_older_than_the_window(app, customer_id, invoice_id):
    late = issued_invoice(app, customer_id, issue=date(2027, 2, 1), due=date(2027, 3, 1))
    pass_at(app, at("2027-03-25 09:00"))  # first pass ever: 7 days after due for one, 24 for the other
    # Its earlier steps (Mar 12 and 15) are older than the 7-day window: never sent, nor recorded.
    assert ledger(app, invoice_id) == [(7, "sent")]
    # The other's 14-day step (Mar 15) is 10 days old: beyond the 7-day window, never sent.
    assert ledger(app, late) == []
    assert sum(reminder_subjects(app).values()) == 2
    daily(app, date(2027, 3, 26), date(2027, 4, 30))
    assert ledger(app, late) == [] and ledger(app, invoice_id)[-1] == (14, "sent")


def test_a_manual_send_within_24_hours_before_makes_the_step(app, invoice_id):
    with app.app_context(), unit_of_work():
        db.session.add(InvoiceSend(partner_id=db.session.get(Invoice, invoice_id).partner_id, invoice_id=invoice_id,
                                   sent_at=datetime(2027, 3, 14, 19, 0), recipients=2))  # 3 pm in New York
    daily(app, date(2027, 3, 12), date(2027, 3, 23))
    assert ledger(app, invoice_id) == [(-3, "sent"), (0, "manual"), (7, "sent")]
    assert "Reminder: INV-0001 is due today" not in reminder_subjects(app)


def test_due_at_midnight_in_vancouver_seen_from_utc(app, partner, customer_id, invoice_id):
    set_time_zone(app, partner.partner_id, "America/Vancouver")
    pass_at(app, at("2027-03-12 09:00", "America/Vancouver"))
    # 06:59 UTC on the 15th is 23:59 on the 14th in Vancouver (PDT since the 14th): not yet.
    pass_at(app, datetime.fromisoformat("2027-03-15T06:59:00+00:00"))
    assert ledger(app, invoice_id) == [(-3, "sent")]
    pass_at(app, datetime.fromisoformat("2027-03-15T07:00:00+00:00"))
    assert ledger(app, invoice_id) == [(-3, "sent"), (0, "sent")]


def test_steps_follow_the_clock_across_the_end_of_daylight_saving(app, customer_id):
    # New York leaves daylight time on Sunday, Nov 7, 2027: midnight is 04:00 UTC before, 05:00 after.
    invoice = issued_invoice(app, customer_id, issue=date(2027, 10, 1), due=date(2027, 11, 7))
    pass_at(app, datetime.fromisoformat("2027-11-07T03:59:59+00:00"))
    assert ledger(app, invoice) == [(-3, "sent")]
    pass_at(app, datetime.fromisoformat("2027-11-07T04:00:00+00:00"))
    assert ledger(app, invoice)[-1] == (0, "sent")
    pass_at(app, datetime.fromisoformat("2027-11-14T04:59:59+00:00"))
    assert len(ledger(app, invoice)) == 2
    pass_at(app, datetime.fromisoformat("2027-11-14T05:00:00+00:00"))
    assert ledger(app, invoice)[-1] == (7, "sent")


def test_no_step_that_fell_before_the_invoice_was_issued(app, customer_id):
    invoice = issued_invoice(app, customer_id, issue=date(2027, 3, 14), due=date(2027, 3, 15))
    pass_at(app, at("2027-03-14 13:00"))
    assert ledger(app, invoice) == [(-3, "skipped")]
    pass_at(app, at("2027-03-15 09:00"))
    assert ledger(app, invoice) == [(-3, "skipped"), (0, "sent")]


def test_a_customer_without_users_is_recorded_not_emailed(app, partner):
    lonely = make_customer(app, partner, users=(), company="Lonely Inc", ein="12-3456789")
    invoice = issued_invoice(app, lonely, issue=date(2027, 2, 13), due=DUE)
    pass_at(app, at("2027-03-15 09:00"))
    assert ledger(app, invoice) == [(-3, "skipped"), (0, "no_users")]
    assert not reminder_subjects(app)


def test_the_reminder_email_through_smtp(app, invoice_id, monkeypatch):
    port = free_port()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    pass_at(app, at("2027-03-15 09:00"))  # queued due at once: the moment drives the schedule, not delivery
    with SmtpServer(port) as server, app.app_context():
        deliver_all_due(worker="test")
    messages = {message["To"]: message for message in server.messages if message["Subject"].startswith("Reminder")}
    assert set(messages) == {"ann@example.com", "bo@example.com"}
    message = messages["ann@example.com"]
    assert message["Subject"] == "Reminder: INV-0001 is due today"
    text = message.get_body(("plain",)).get_content()
    assert "Invoice INV-0001 for $4,032.19 is due today, Mar 15, 2027." in text
    assert f"http://127.0.0.1:5000/portal/invoices/{invoice_id}" in text
    html = message.get_body(("html",)).get_content()
    assert f'href="http://127.0.0.1:5000/portal/invoices/{invoice_id}"' in html and "View and pay INV-0001" in html


def test_the_workers_job_runs_a_pass_as_of_now(app, invoice_id):
    import automation

    with time_machine.travel(datetime(2027, 3, 22, 4, 30), tick=False), app.app_context():  # 00:30 in New York
        line = automation.job("test", lambda: False)
    assert line.startswith("Automation pass as of 2027-03-22T04:30:00+00:00: queued 1 reminders (2 emails)")
    assert ledger(app, invoice_id) == [(7, "sent")]


def test_the_cli_prints_counts_per_kind(app, runner, invoice_id):
    result = runner.invoke(args=["automation", "run", "--at", "2027-03-15T09:00:00-04:00"])
    assert result.exit_code == 0, result.output
    assert "queued 1 reminders (2 emails); recorded without sending: 1 skipped." in result.output
    again = runner.invoke(args=["automation", "run", "--at", "2027-03-15T09:00:00-04:00"])
    assert "queued nothing" in again.output


def test_the_cli_refuses_a_moment_without_an_offset(runner):
    result = runner.invoke(args=["automation", "run", "--at", "2027-03-15T09:00:00"])
    assert result.exit_code == 2 and "offset" in result.output


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="several processes at once need PostgreSQL")
def test_two_processes_running_passes_at_once_send_nothing_twice(app, partner):
    customers = [make_customer(app, partner, users=USERS, company=f"Client {n}", ein=f"12-{3456700 + n}")
                 for n in range(20)]
    invoices = [issued_invoice(app, customers[n % 20], issue=date(2027, 1, 1), due=DUE + timedelta(days=n % 30))
                for n in range(200)]
    root = Path(__file__).parent.parent
    env = {**os.environ, "DATABASE_URL": os.environ["TEST_DATABASE_URL"], "APP_ENV": "test", "PYTHONPATH": str(root)}
    for day in ("2027-03-16", "2027-03-20", "2027-04-02"):
        moment = f"{day}T09:00:00-04:00"
        command = [sys.executable, "-m", "flask", "--app", "app", "automation", "run", "--at", moment]
        runs = [subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE,  # noqa: S603
                                 stderr=subprocess.PIPE, text=True) for _ in range(3)]
        for run in runs:
            _out, err = run.communicate(timeout=120)
            assert run.returncode == 0, err
    with app.app_context():
        per_invoice = Counter(db.session.scalars(select(OutboxEmail.ref).where(OutboxEmail.ref.like("reminder:%"))))
        subjects = Counter(db.session.execute(select(OutboxEmail.subject, OutboxEmail.to_address)).all())
        recorded = db.session.scalar(select(func.count()).select_from(db.metadata.tables["reminder_deliveries"]))
    assert per_invoice and max(subjects.values()) == 1, "no user got one reminder twice"
    assert set(per_invoice) <= {f"reminder:{i}" for i in invoices}
    assert recorded >= len(per_invoice)


def test_sixty_days_for_two_partners_with_invoices_in_every_state(app, partner, other_partner):
    """Daily passes at changing hours (twice on some days) over sixty days: every reminder of every open
    invoice goes on its day on its partner's calendar, once, and none for drafts, void or paid invoices."""
    from zoneinfo import ZoneInfo

    from models import ReminderDelivery

    set_time_zone(app, other_partner.partner_id, "America/Vancouver")
    zones = {partner.partner_id: ZoneInfo("America/New_York"), other_partner.partner_id: ZoneInfo("America/Vancouver")}
    states = ("open", "open", "paid", "void", "draft", "open")
    made, paid_later = {}, set()
    for n in range(24):
        staff = partner if n % 2 else other_partner
        customer = make_customer(app, staff, users=USERS[: 1 + n % 2], company=f"Client {n}", ein=f"12-{3456700 + n}")
        status = states[n % len(states)]
        due = date(2027, 3, 1) + timedelta(days=n * 2)
        made[issued_invoice(app, customer, issue=date(2027, 2, 1), due=due, status=status)] = (status, due, staff)
        if n % 7 == 0 and status == "open":
            paid_later.add(next(reversed(made)))
    day, passes = date(2027, 2, 20), []
    for n in range(60):
        hours = (n * 5 % 24,) if n % 3 else (n * 5 % 24, 23)
        for hour in hours:
            passes.append(datetime.combine(day, datetime.min.time()).replace(hour=hour))
            pass_at(app, passes[-1].replace(tzinfo=ZoneInfo("UTC")))
        if day == date(2027, 3, 20):
            with app.app_context(), unit_of_work():
                db.session.execute(update(Invoice).where(Invoice.id.in_(paid_later))
                                   .values(status="paid", amount_paid=Invoice.total))
        day += timedelta(days=1)
    with app.app_context():
        rows = db.session.execute(select(ReminderDelivery.invoice_id, ReminderDelivery.outcome,
                                         ReminderDelivery.step_at, ReminderDelivery.recorded_at)).all()
        emails = Counter(db.session.execute(select(OutboxEmail.ref, OutboxEmail.subject, OutboxEmail.to_address)
                                            .where(OutboxEmail.ref.like("reminder:%"))).all())
    assert emails and max(emails.values()) == 1, "no email twice"
    for invoice_id, outcome, step_at, recorded_at in rows:
        status, due, staff = made[invoice_id]
        assert status == "open", f"a {status} invoice was reminded"
        zone = zones[staff.partner_id]
        local = step_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
        assert local.time() == datetime.min.time() and (local.date() - due).days in (-3, 0, 7, 14)
        assert recorded_at == min(p for p in passes if p >= step_at), "sent by the first pass after its moment"
        if invoice_id in paid_later:
            assert recorded_at <= datetime(2027, 3, 20, 23), "nothing after the payment"
        assert outcome == "sent"
    def moment(invoice_id, when):
        zone = zones[made[invoice_id][2].partner_id]
        return datetime.combine(when, datetime.min.time(), tzinfo=zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    paid_at = datetime(2027, 3, 20, 23)  # after that day's last pass
    expected = {(i, d + timedelta(days=o)) for i, (s, d, _staff) in made.items() if s == "open" for o in (-3, 0, 7, 14)}
    expected = {(i, when) for i, when in expected
                if any(moment(i, when) <= p for p in passes)
                and (i not in paid_later or min(p for p in passes if p >= moment(i, when)) <= paid_at)}
    sent = {(i, step_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(zones[made[i][2].partner_id]).date())
            for i, _o, step_at, _r in rows}
    assert len(sent) > 30 and sent == expected
