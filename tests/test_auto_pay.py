"""Auto-pay through the automation pass: a rule charges the customer's default method on the due
date plus its offset, once per invoice whatever runs at once; a decline tells the customer's
users and the staff and is tried again on later days, never more than the rule allows."""

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from automation_helpers import at, issued_invoice, pass_at
from customer_helpers import PARTIAL, make_customer, make_tag, tag_customers, token
from payment_helpers import card
from sqlalchemy import func, insert, select

from extensions import db
from models import AutoPayCharge, AutoPayRule, Invoice, OutboxEmail, Partner, auto_pay_exclusions
from payments.sandbox import SandboxCharge
from services.invoices import partner_today
from unit_of_work import unit_of_work

DUE = date(2027, 3, 15)
DECLINED = "4000 0000 0000 0002"


@pytest.fixture
def customer_id(app, partner):
    return make_customer(app, partner, users=(("Ann Lee", "ann@example.com"),))


@pytest.fixture
def invoice_id(app, customer_id):
    return issued_invoice(app, customer_id, issue=date(2027, 2, 13), due=DUE)


def rule(app, partner, **values) -> int:
    with app.app_context(), unit_of_work():
        made = AutoPayRule(partner_id=partner.partner_id, **{"scope": "all", **values})
        db.session.add(made)
        db.session.flush()
        return made.id


def partner_today_of(app, partner) -> date:
    with app.app_context():
        return partner_today(db.session.get(Partner, partner.partner_id))


def charges(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SandboxCharge))


def status(app, invoice_id) -> str:
    with app.app_context():
        return db.session.get(Invoice, invoice_id).status


def outcomes(app, invoice_id) -> list[tuple[int, str]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(AutoPayCharge.attempt_no, AutoPayCharge.outcome).where(AutoPayCharge.invoice_id == invoice_id)
            .order_by(AutoPayCharge.attempt_no))]


def test_nothing_is_charged_until_a_partner_sets_up_a_rule(app, customer_id, invoice_id):
    card(app, customer_id)
    pass_at(app, at("2027-03-20 09:00"))
    assert charges(app) == 0 and status(app, invoice_id) == "open"


def test_a_rule_charges_the_default_method_on_the_due_date_plus_offset_once(app, partner, customer_id, invoice_id):
    card(app, customer_id)
    rule(app, partner, offset_days=-2)
    pass_at(app, at("2027-03-12 23:00"))  # the day before the charge date
    assert charges(app) == 0
    counts = pass_at(app, at("2027-03-13 00:30"))
    assert "1 auto-pay charges (2 emails)" in counts.line(at("2027-03-13 00:30"))  # the receipt and the notice
    for hour in ("01:00", "09:00"):
        pass_at(app, at(f"2027-03-13 {hour}"))
    pass_at(app, at("2027-03-20 09:00"))
    assert charges(app) == 1 and status(app, invoice_id) == "paid"
    assert outcomes(app, invoice_id) == [(1, "charged")]


def test_a_decline_notifies_and_is_retried_on_later_days_up_to_the_limit(app, partner, customer_id, invoice_id):
    card(app, customer_id, DECLINED)
    rule(app, partner, max_retries=2)
    for day in range(15, 25):
        for hour in ("09:00", "15:00"):
            pass_at(app, at(f"2027-03-{day} {hour}"))
    assert outcomes(app, invoice_id) == [(1, "declined"), (2, "declined"), (3, "declined")]
    with app.app_context():
        notices = db.session.scalars(select(OutboxEmail).where(OutboxEmail.subject.like("Payment failed%"))).all()
    assert len(notices) == 3 * 2  # each attempt: the customer's user and the staff user
    assert {n.to_address for n in notices} == {"ann@example.com", "owner@acme-it.example.com"}
    assert "The card was declined." in notices[0].text_body
    assert status(app, invoice_id) == "open"


def test_a_customer_without_a_default_method_is_counted_not_charged(app, partner, customer_id, invoice_id):
    rule(app, partner)
    counts = pass_at(app, at("2027-03-15 09:00"))
    assert counts.recorded["auto-pay: no default method"] == 1
    assert "1 auto-pay: no default method" in counts.line(at("2027-03-15 09:00"))
    assert charges(app) == 0 and outcomes(app, invoice_id) == []


def test_an_excluded_invoice_is_left_alone(app, partner, customer_id, invoice_id):
    card(app, customer_id)
    other = issued_invoice(app, customer_id, issue=date(2027, 2, 13), due=DUE)
    made = rule(app, partner)
    with app.app_context(), unit_of_work():
        db.session.execute(insert(auto_pay_exclusions).values(partner_id=partner.partner_id, rule_id=made,
                                                              invoice_id=invoice_id))
    pass_at(app, at("2027-03-15 09:00"))
    assert (status(app, invoice_id), status(app, other)) == ("open", "paid")


def test_a_tag_rule_charges_only_the_tagged_customers(app, partner, customer_id, invoice_id):
    other = make_customer(app, partner, users=(("Bo Chen", "bo@example.com"),), company="Other Co", ein="12-3456789")
    theirs = issued_invoice(app, other, issue=date(2027, 2, 13), due=DUE)
    card(app, customer_id)
    card(app, other)
    tag_id = make_tag(app, partner, "Auto")
    tag_customers(app, partner, tag_id, [customer_id])
    rule(app, partner, scope="tag", tag_id=tag_id)
    pass_at(app, at("2027-03-15 09:00"))
    assert (status(app, invoice_id), status(app, theirs)) == ("paid", "open")


def test_a_broader_rule_never_charges_a_customer_its_own_rule_covers(app, partner, customer_id, invoice_id):
    """Found by the sixty-day check: the every-customer rule charged on its own day, and charged
    the invoice the customer's rule excluded."""
    card(app, customer_id)
    excluded = issued_invoice(app, customer_id, issue=date(2027, 2, 13), due=DUE)
    rule(app, partner, offset_days=0)
    own = rule(app, partner, scope="customer", customer_id=customer_id, offset_days=3)
    with app.app_context(), unit_of_work():
        db.session.execute(insert(auto_pay_exclusions).values(partner_id=partner.partner_id, rule_id=own,
                                                              invoice_id=excluded))
    pass_at(app, at("2027-03-15 09:00"))  # the every-customer rule's day
    assert (status(app, invoice_id), status(app, excluded)) == ("open", "open")
    pass_at(app, at("2027-03-18 09:00"))  # the customer's rule's day
    assert (status(app, invoice_id), status(app, excluded)) == ("paid", "open")
    assert outcomes(app, excluded) == []


def test_paid_and_void_invoices_are_never_charged(app, partner, customer_id):
    paid = issued_invoice(app, customer_id, issue=date(2027, 2, 13), due=DUE, status="paid")
    void = issued_invoice(app, customer_id, issue=date(2027, 2, 13), due=DUE, status="void")
    card(app, customer_id)
    rule(app, partner)
    pass_at(app, at("2027-03-16 09:00"))
    assert charges(app) == 0 and outcomes(app, paid) == [] and outcomes(app, void) == []


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="several processes at once need PostgreSQL")
def test_three_processes_at_once_charge_each_invoice_once(app, partner, customer_id):
    invoices = [issued_invoice(app, customer_id, issue=date(2027, 2, 13), due=DUE) for _ in range(20)]
    card(app, customer_id)
    rule(app, partner)
    root = Path(__file__).parent.parent
    env = {**os.environ, "DATABASE_URL": os.environ["TEST_DATABASE_URL"], "APP_ENV": "test", "PYTHONPATH": str(root)}
    command = [sys.executable, "-m", "flask", "--app", "app", "automation", "run", "--at", "2027-03-15T09:00:00-04:00"]
    runs = [subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE,  # noqa: S603
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for run in runs:
        _out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    assert charges(app) == 20
    assert {status(app, invoice) for invoice in invoices} == {"paid"}
    assert all(outcomes(app, invoice) == [(1, "charged")] for invoice in invoices)


# -- /settings/auto-pay ------------------------------------------------------------------------


def add(client, **values):
    data = {"csrf_token": token(client, "/settings/auto-pay"), "scope": "all", "offset_days": "0",
            "max_retries": "2", **values}
    return client.post("/settings/auto-pay", data=data)


def test_adding_a_rule_previews_what_it_would_charge_and_flags_a_missing_default_method(
        app, partner, signed_in, customer_id, invoice_id):
    lonely = make_customer(app, partner, users=(("Bo Chen", "bo@example.com"),), company="No Card Co",
                           ein="12-3456789")
    today = partner_today_of(app, partner)
    due_tomorrow = issued_invoice(app, customer_id, issue=today, due=today + timedelta(days=1))
    issued_invoice(app, lonely, issue=today, due=today + timedelta(days=1))
    issued_invoice(app, customer_id, issue=today, due=today + timedelta(days=2))  # not yet
    card(app, customer_id)
    assert "Off until you add a rule" in signed_in.get("/settings/auto-pay").text
    assert add(signed_in, offset_days="-1").status_code == 303
    page = signed_in.get("/settings/auto-pay").text
    assert "Every customer" in page and "1 day before the due date" in page
    assert f"/invoices/{due_tomorrow}" in page and "Visa •••• 4242" in page
    assert "Needs a default payment method" in page
    assert page.count("Exclude<span") == 2


def test_excluding_an_invoice_from_the_preview_keeps_it_from_being_charged(app, partner, signed_in, customer_id):
    today = partner_today_of(app, partner)
    invoice_id = issued_invoice(app, customer_id, issue=today, due=today)
    card(app, customer_id)
    add(signed_in)
    with app.app_context():
        rule_id = db.session.scalar(select(AutoPayRule.id))
    response = signed_in.post(f"/settings/auto-pay/{rule_id}/exclusions", data={
        "csrf_token": token(signed_in, "/settings/auto-pay"), "invoice_id": invoice_id, "exclude": "on"})
    assert response.status_code == 303
    page = signed_in.get("/settings/auto-pay").text
    assert "Excluded" in page and "Include<span" in page and "Exclude<span" not in page
    pass_at(app, at(f"{today.isoformat()} 23:00"))
    assert status(app, invoice_id) == "open" and charges(app) == 0


@pytest.mark.parametrize(("values", "message"), [
    ({"scope": "customer"}, "Choose the customer"),
    ({"scope": "tag"}, "Choose the tag"),
    ({"scope": "nobody"}, "Choose one customer, customers with a tag, or every customer"),
    ({"offset_days": "soon"}, "Enter a whole number of days from -60 to 120"),
    ({"max_retries": "9"}, "Enter a whole number of retries from 0 to 5"),
])
def test_a_bad_rule_is_refused_by_its_field(app, signed_in, values, message):
    response = add(signed_in, **values)
    assert response.status_code == 422 and message in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AutoPayRule)) == 0


def test_another_partners_rule_is_404(app, signed_in, other_partner):
    theirs = rule(app, other_partner)
    response = signed_in.post(f"/settings/auto-pay/{theirs}/delete",
                              data={"csrf_token": token(signed_in, "/settings/auto-pay")})
    assert response.status_code == 404


# -- editing a rule ------------------------------------------------------------------------------


def edit(client, rule_id, **values):
    data = {"csrf_token": token(client, "/settings/auto-pay"), "scope": "all", "offset_days": "0",
            "max_retries": "2", **values}
    return client.post(f"/settings/auto-pay/{rule_id}/edit", data=data)


def stored(app, rule_id) -> tuple:
    with app.app_context():
        made = db.session.get(AutoPayRule, rule_id)
        return made.scope, made.customer_id, made.offset_days, made.max_retries


def test_the_edit_page_shows_the_rule_as_it_is(app, partner, signed_in, customer_id):
    made = rule(app, partner, scope="customer", customer_id=customer_id, offset_days=-3, max_retries=1)
    page = signed_in.get(f"/settings/auto-pay/{made}/edit").text
    assert "Now: Northwind Dental. Charged 3 days before the due date; 1 retry after a decline." in page
    assert f'name="customer_id" value="{customer_id}" checked> <span>Northwind Dental' in page
    assert 'value="customer" checked' in page and 'value="-3"' in page
    assert f'href="/settings/auto-pay/{made}/edit"' in signed_in.get("/settings/auto-pay").text


def test_a_new_offset_keeps_the_exclusions_and_never_charges_a_charged_invoice_again(
        app, partner, signed_in, customer_id, invoice_id):
    card(app, customer_id)
    other = issued_invoice(app, customer_id, issue=date(2027, 2, 13), due=DUE)
    made = rule(app, partner)
    signed_in.post(f"/settings/auto-pay/{made}/exclusions", data={
        "csrf_token": token(signed_in, "/settings/auto-pay"), "invoice_id": other, "exclude": "on"})
    pass_at(app, at("2027-03-15 09:00"))
    assert outcomes(app, invoice_id) == [(1, "charged")] and charges(app) == 1
    assert edit(signed_in, made, offset_days="3").status_code == 303
    assert stored(app, made) == ("all", None, 3, 2)
    for day in (15, 16, 18, 19):  # the old charge date and the new one: the ledger holds per invoice
        pass_at(app, at(f"2027-03-{day} 09:00"))
    assert outcomes(app, invoice_id) == [(1, "charged")] and charges(app) == 1
    assert status(app, other) == "open" and outcomes(app, other) == []  # still excluded
    with app.app_context():
        assert db.session.execute(select(auto_pay_exclusions.c.invoice_id).where(
            auto_pay_exclusions.c.rule_id == made)).scalars().all() == [other]


def test_fewer_retries_stop_an_invoice_declined_that_often_and_more_resume_it(
        app, partner, signed_in, customer_id, invoice_id):
    card(app, customer_id, DECLINED)
    made = rule(app, partner, max_retries=2)
    pass_at(app, at("2027-03-15 09:00"))
    pass_at(app, at("2027-03-16 09:00"))
    assert outcomes(app, invoice_id) == [(1, "declined"), (2, "declined")]
    assert edit(signed_in, made, max_retries="0").status_code == 303
    assert "Nothing is due for this rule now" in signed_in.get("/settings/auto-pay").text  # the preview agrees
    for day in (17, 18):
        pass_at(app, at(f"2027-03-{day} 09:00"))
    assert outcomes(app, invoice_id) == [(1, "declined"), (2, "declined")]  # out of retries: 2 tries > 0 + 1
    edit(signed_in, made, max_retries="2")
    pass_at(app, at("2027-03-19 09:00"))
    pass_at(app, at("2027-03-20 09:00"))
    assert outcomes(app, invoice_id) == [(1, "declined"), (2, "declined"), (3, "declined")]


def test_a_new_scope_charges_its_customers_and_never_a_charged_invoice_again(
        app, partner, signed_in, customer_id, invoice_id):
    other = make_customer(app, partner, users=(("Bo Chen", "bo@example.com"),), company="Other Co", ein="12-3456789")
    theirs = issued_invoice(app, other, issue=date(2027, 2, 13), due=DUE)
    card(app, customer_id)
    card(app, other)
    made = rule(app, partner, scope="customer", customer_id=customer_id)
    pass_at(app, at("2027-03-15 09:00"))
    assert (status(app, invoice_id), status(app, theirs)) == ("paid", "open")
    assert edit(signed_in, made, scope="customer", customer_id=str(other)).status_code == 303
    assert stored(app, made) == ("customer", other, 0, 2)
    pass_at(app, at("2027-03-16 09:00"))
    assert status(app, theirs) == "paid"
    edit(signed_in, made, scope="all")
    pass_at(app, at("2027-03-17 09:00"))
    assert outcomes(app, invoice_id) == [(1, "charged")] and outcomes(app, theirs) == [(1, "charged")]
    assert charges(app) == 2


@pytest.mark.parametrize(("values", "message"), [
    ({"scope": "customer"}, "Choose the customer"),
    ({"scope": "tag", "tag_id": "999999"}, "Choose the tag"),
    ({"offset_days": "121"}, "Enter a whole number of days from -60 to 120"),
    ({"max_retries": "-1"}, "Enter a whole number of retries from 0 to 5"),
])
def test_a_bad_edit_is_refused_by_its_field_and_changes_nothing(app, partner, signed_in, values, message):
    made = rule(app, partner, offset_days=-2)
    response = edit(signed_in, made, **values)
    assert response.status_code == 422 and message in response.text and "There is a problem" in response.text
    assert stored(app, made) == ("all", None, -2, 2)


def test_another_partners_rule_or_customer_is_refused(app, partner, signed_in, other_partner):
    theirs = rule(app, other_partner)
    assert signed_in.get(f"/settings/auto-pay/{theirs}/edit").status_code == 404
    assert edit(signed_in, theirs, offset_days="5").status_code == 404
    assert stored(app, theirs) == ("all", None, 0, 2)
    their_customer = make_customer(app, other_partner, users=(("Cy Diaz", "cy@example.com"),))
    ours = rule(app, partner)
    response = edit(signed_in, ours, scope="customer", customer_id=str(their_customer))
    assert response.status_code == 422 and "Choose the customer" in response.text
    assert "Northwind Dental" not in response.text  # their customer's name is not shown either
    assert add(signed_in, scope="customer", customer_id=str(their_customer)).status_code == 422


@pytest.mark.parametrize(("name", "value", "message"), [
    ("offset_days", "soon", "Enter a whole number of days from -60 to 120"),
    ("max_retries", "9", "Enter a whole number of retries from 0 to 5"),
])
def test_a_rule_field_is_checked_on_blur(signed_in, name, value, message):
    headers = {**PARTIAL, "X-CSRFToken": token(signed_in, "/settings/auto-pay")}
    response = signed_in.post(f"/settings/auto-pay/check/{name}", data={"scope": "all", name: value},
                              headers=headers)
    assert response.status_code == 200 and message in response.text and f'id="row-{name}"' in response.text
    fixed = signed_in.post(f"/settings/auto-pay/check/{name}", data={"scope": "all", name: "1"}, headers=headers)
    assert "field-error" not in fixed.text
    assert signed_in.post("/settings/auto-pay/check/scope", data={}, headers=headers).status_code == 404


def test_without_javascript_a_typed_name_brings_back_its_customers_to_choose_from(
        app, partner, signed_in, customer_id):
    harbor = make_customer(app, partner, users=(("Bo Chen", "bo@example.com"),), company="Harbor Architects",
                           ein="92-1234567")
    response = add(signed_in, scope="customer", customer_id_q="harb")
    assert response.status_code == 422 and "Choose the customer" in response.text
    assert f'name="customer_id" value="{harbor}"> <span>Harbor Architects' in response.text
    assert f'value="{customer_id}"' not in response.text.split('id="customer_id-choices"')[1].split("</div>")[0]
    assert add(signed_in, scope="customer", customer_id_q="harb", customer_id=str(harbor)).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(AutoPayRule.customer_id)) == harbor
