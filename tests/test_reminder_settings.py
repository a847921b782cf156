"""The reminder schedule (/settings/reminders) and the customer page's Reminders tab."""

from datetime import date, timedelta

import pytest
from automation_helpers import issued_invoice, ledger, pass_at
from customer_helpers import make_customer, make_tag, tag_customers, token
from sqlalchemy import select

from extensions import db
from models import ReminderStep
from services import reminders


def form_data(client, **changes) -> dict:
    """The schedule's form as the page fills it, with changes."""
    data = {"csrf_token": token(client, "/settings/reminders")}
    for n, (offset, subject, lead) in enumerate(reminders.DEFAULT_STEPS):
        data |= {f"steps-{n}-enabled": "y", f"steps-{n}-offset_days": str(offset),
                 f"steps-{n}-subject_template": subject, f"steps-{n}-body_template": lead}
    return data | changes


def test_the_page_shows_the_default_schedule_without_saving_it(app, signed_in):
    page = signed_in.get("/settings/reminders")
    assert page.status_code == 200
    assert "Reminder: {{ invoice_number }} is due on {{ due_date }}" in page.text
    with app.app_context():
        assert db.session.scalar(select(ReminderStep.id)) is None


def test_saving_the_schedule(app, signed_in, partner):
    response = signed_in.post("/settings/reminders", data=form_data(
        signed_in, **{"steps-2-offset_days": "10", "steps-2-subject_template": "Reminder: {{ invoice_number }} is late",
                      "steps-3-enabled": ""}))
    assert response.status_code == 303
    with app.app_context():
        steps = reminders.steps(partner.partner_id)
        assert [(s.offset_days, s.enabled) for s in steps] == [(-3, True), (0, True), (10, True), (14, False)]
        assert steps[2].subject_template == "Reminder: {{ invoice_number }} is late"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("steps-0-subject_template", "Your invoice {{ invoice_number }}", "must start with “Reminder:”"),
    ("steps-0-subject_template", "Reminder: pay up", "name the invoice with {{ invoice_number }}"),
    ("steps-0-subject_template", "Reminder: {{ invoice_number }} {{ customer }}", "cannot be filled in"),
    ("steps-1-body_template", "{{ invoice_number.__class__.__mro__ }}", "cannot be filled in"),
    ("steps-1-body_template", "{% for x in range(10) %}{% endfor %}", "cannot be filled in"),
    ("steps-1-body_template", "{{ amount", "cannot be filled in"),
    ("steps-1-body_template", "", "Enter the text of the reminder"),
    ("steps-2-offset_days", "seven", "Enter a whole number of days from -60 to 120"),
    ("steps-2-offset_days", "121", "Enter a whole number of days from -60 to 120"),
    ("steps-2-offset_days", "0", "Another reminder is on this day"),
])
def test_a_template_or_day_that_cannot_work_is_refused_by_its_field(app, signed_in, partner, field, value, message):
    response = signed_in.post("/settings/reminders", data=form_data(signed_in, **{field: value}))
    assert response.status_code == 422
    assert message in response.text
    assert f'id="{field}"' in response.text and 'aria-invalid="true"' in response.text
    with app.app_context():
        assert db.session.scalar(select(ReminderStep.id)) is None, "nothing saved"


def test_the_schedule_needs_the_csrf_token(signed_in):
    data = form_data(signed_in)
    del data["csrf_token"]
    assert signed_in.post("/settings/reminders", data=data).status_code == 400


def test_a_tag_turned_off_and_a_customer_turned_off_get_no_reminders(app, signed_in, partner):
    tagged = make_customer(app, partner, users=(("Cy", "cy@example.com"),), company="Tagged Co", ein="12-3456781")
    switched = make_customer(app, partner, users=(("Di", "di@example.com"),), company="Switched Co", ein="12-3456782")
    reminded = make_customer(app, partner, users=(("Ed", "ed@example.com"),), company="Reminded Co", ein="12-3456783")
    tag = make_tag(app, partner, "No reminders")
    tag_customers(app, partner, tag, [tagged])
    assert signed_in.post("/settings/reminders", data=form_data(signed_in, off_tags=str(tag))).status_code == 303
    tab = signed_in.get(f"/customers/{switched}/reminders")
    assert signed_in.post(f"/customers/{switched}/reminders/switch",
                          data={"csrf_token": token(signed_in, f"/customers/{switched}/reminders"),
                                "reminders": "off"}).status_code == 303
    assert tab.status_code == 200
    invoices = {c: issued_invoice(app, c, issue=date(2027, 2, 1), due=date(2027, 3, 15))
                for c in (tagged, switched, reminded)}
    pass_at(app, __import__("automation_helpers").at("2027-03-15 09:00"))
    assert ledger(app, invoices[tagged]) == [] and ledger(app, invoices[switched]) == []
    assert ledger(app, invoices[reminded]) == [(-3, "skipped"), (0, "sent")]
    assert 'data-reminders="off"' in signed_in.get(f"/customers/{switched}/reminders").text
    assert "Tagged Co" not in signed_in.get("/settings/reminders").text
    assert "Switched Co" in signed_in.get("/settings/reminders").text


def test_the_tab_shows_reminders_sent_and_the_next_one_due(app, signed_in, partner):
    from automation_helpers import at

    customer = make_customer(app, partner)
    due = date.today() + timedelta(days=30)
    invoice = issued_invoice(app, customer, issue=date.today(), due=due)
    page = signed_in.get(f"/customers/{customer}/reminders")
    row = page.text[page.text.index('data-invoice="INV-0001"'):]
    assert "None yet" in row and f'datetime="{(due - timedelta(days=3)).isoformat()}T' in row
    pass_at(app, at(f"{due.isoformat()} 09:00"))
    assert ledger(app, invoice) == [(-3, "skipped"), (0, "sent")]
    row = signed_in.get(f"/customers/{customer}/reminders").text.split('data-invoice="INV-0001"')[1]
    assert f"{due:%b} {due.day}, {due.year}" in row  # sent on the due date
    assert f'datetime="{(due + timedelta(days=7)).isoformat()}T' in row  # next: a week after


def test_another_partners_customer_cannot_be_switched(app, signed_in, other_partner):
    theirs = make_customer(app, other_partner)
    response = signed_in.post(f"/customers/{theirs}/reminders/switch",
                              data={"csrf_token": token(signed_in, "/settings/reminders"), "reminders": "off"})
    assert response.status_code == 404
    assert signed_in.get(f"/customers/{theirs}/reminders").status_code == 404
