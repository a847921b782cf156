"""The sync's upsert by (partner, source, external id): customers and invoices, through the
dashboard's own forms and services; a sync that runs again never duplicates."""

from datetime import date, timedelta

import pytest
from customer_helpers import DETAILS, make_customer
from sqlalchemy import func, select

from extensions import db
from forms.invoice import judge_draft
from models import Customer, CustomerUser, Invoice
from services.customers import upsert_customer
from services.errors import InvalidFields
from services.invoices import NotAllowedNow, upsert_invoice
from unit_of_work import unit_of_work

SYNCED = {**DETAILS, "ein": "", "users": [{"name": "Ann Lee", "email": "ann@example.com"}]}


def upsert(app, partner, values, external_id="C-1", source="quickbooks"):
    with app.app_context(), unit_of_work():
        customer, outcome = upsert_customer(partner.partner_id, values, source=source, external_id=external_id,
                                            staff_id=partner.id)
        return customer.id, outcome


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_sync_that_runs_again_changes_nothing_and_duplicates_nothing(app, partner):
    first = upsert(app, partner, SYNCED)
    assert first[1] == "created"
    assert upsert(app, partner, SYNCED) == (first[0], "unchanged")
    assert count(app, Customer) == 1 and count(app, CustomerUser) == 1


def test_an_upsert_updates_the_fields_given_and_adds_new_users(app, partner):
    customer_id, _ = upsert(app, partner, SYNCED)
    changed = {"city": "Dallas", "postal_code": "75201",
               "users": [{"name": "Ann Lee-Park", "email": "ANN@example.com"},
                         {"name": "Bo Chan", "email": "bo@example.com"}]}
    assert upsert(app, partner, changed) == (customer_id, "updated")
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert (customer.city, customer.company, customer.postal_code) == ("Dallas", "Northwind Dental", "75201")
        assert [(u.name, u.email) for u in customer.users] == [("Ann Lee-Park", "ann@example.com"),
                                                              ("Bo Chan", "bo@example.com")]


def test_the_same_external_id_from_another_source_or_partner_is_another_customer(app, partner, other_partner):
    upsert(app, partner, SYNCED)
    assert upsert(app, partner, SYNCED, source="halopsa")[1] == "created"
    assert upsert(app, other_partner, SYNCED)[1] == "created"
    assert count(app, Customer) == 3


def test_an_upsert_refuses_what_the_dashboard_refuses_with_its_messages(app, partner):
    make_customer(app, partner)  # EIN 91-1144442
    bad = {**SYNCED, "ein": "91-1144442", "postal_code": "1234",
           "users": [{"name": "Ann", "email": "ann@example.com"}, {"name": "Ann 2", "email": "Ann@Example.com"}]}
    with pytest.raises(InvalidFields) as refused:
        upsert(app, partner, bad)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("ein", "Northwind Dental already has the EIN 91-1144442"),
        ("postal_code", "Enter the ZIP code as 5 digits, or ZIP+4 like 12345-6789"),
        ("users[1].email", "Ann@example.com is already a user of this customer"),
    ]
    with pytest.raises(InvalidFields) as refused:
        upsert(app, partner, {**SYNCED, "company": "Nul\x00here"}, external_id="C-2")
    assert refused.value.field == "company"
    with pytest.raises(InvalidFields) as refused:
        upsert(app, partner, SYNCED, source="")
    assert (refused.value.field, refused.value.message) == ("source", "Enter the source of the external ID")
    assert count(app, Customer) == 1


def draft(lines=(("Support", "2", "150.00", "8.25"),), due_days=30):
    today = date.today()
    return judge_draft({"issue_date": today.isoformat(), "due_date": (today + timedelta(days=due_days)).isoformat(),
                        "memo": "", "lines": [dict(zip(("description", "quantity", "unit_price", "tax_rate"), line,
                                                       strict=True)) for line in lines]})


def upsert_inv(app, customer_id, values, finalize=False):
    with app.app_context(), unit_of_work():
        customer = db.session.get(Customer, customer_id)
        invoice, outcome = upsert_invoice(customer, values, source="quickbooks", external_id="INV-77", staff_id=None,
                                          finalize_on=date.today() if finalize else None)
        return invoice.id, invoice.status, invoice.total, outcome


def test_invoices_upsert_as_drafts_until_finalized_then_stay_as_they_are(app, partner):
    customer_id, _ = upsert(app, partner, SYNCED)
    with app.app_context():
        values = draft()
        changed = draft(lines=(("Support", "3", "150.00", "8.25"),))
    invoice_id, status, total, outcome = upsert_inv(app, customer_id, values)
    assert (status, total, outcome) == ("draft", 32475, "created")
    assert upsert_inv(app, customer_id, values)[3] == "unchanged"
    assert upsert_inv(app, customer_id, changed, finalize=True) == (invoice_id, "open", 48713, "updated")
    assert upsert_inv(app, customer_id, changed, finalize=True)[3] == "unchanged"
    with pytest.raises(NotAllowedNow, match="INV-0001 is open and can no longer be edited"):
        upsert_inv(app, customer_id, values)
    assert count(app, Invoice) == 1


def test_a_draft_refused_by_the_form_names_each_line_field(app, partner):
    with app.app_context(), pytest.raises(InvalidFields) as refused:
        draft(lines=(("", "0", "1e3", "101"),), due_days=-1)
    assert [e.field for e in refused.value.errors] == [
        "due_date", "lines[0].description", "lines[0].quantity", "lines[0].unit_price", "lines[0].tax_rate"]


def test_a_synced_customer_and_invoice_say_where_they_came_from(app, partner, signed_in):
    customer_id, _ = upsert(app, partner, SYNCED)
    with app.app_context():
        values = draft()
    invoice_id = upsert_inv(app, customer_id, values)[0]
    assert "From quickbooks" in signed_in.get(f"/customers/{customer_id}").text
    assert "From quickbooks" in signed_in.get(f"/invoices/{invoice_id}").text
    made_here = make_customer(app, partner, ein="")
    assert "From " not in signed_in.get(f"/customers/{made_here}").text
