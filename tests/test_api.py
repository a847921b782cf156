"""The JSON API under /api/v1: keys, typed errors, idempotency, pages, customers and invoices,
through the dashboard's forms and services (the same messages)."""

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from api_helpers import CUSTOMER, bearer, make_key, revoke
from sqlalchemy import func, select

from conftest import csrf_token
from extensions import db
from models import Customer, IdempotentRequest, Invoice

DUE = (date.today() + timedelta(days=30)).isoformat()
LINE = {"description": "Managed services", "quantity": "3", "unit_amount": 123450, "tax_rate": "8.875"}


@pytest.fixture
def key(app, partner):
    return make_key(app, partner)


@pytest.fixture
def api(client, key):
    """POST and GET with the partner's write key."""

    class Api:
        def post(self, path, json=None, **headers):
            return client.post(f"/api/v1{path}", json=json, headers=bearer(key, **headers))

        def get(self, path, **params):
            return client.get(f"/api/v1{path}", query_string=params, headers=bearer(key))

    return Api()


def error_of(response) -> tuple:
    body = response.get_json()["error"]
    return response.status_code, body["type"], body["code"], body["param"], body["message"]


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# -- keys ---------------------------------------------------------------------------------------


def test_a_key_made_with_the_cli_is_its_last_line_and_works(app, runner, partner, client):
    result = runner.invoke(args=["api-key", "create", partner.email, "--scope", "read"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("rk_") and " " not in key
    assert client.get("/api/v1/customers", headers=bearer(key)).status_code == 200
    assert error_of(client.post("/api/v1/customers", json=CUSTOMER, headers=bearer(key)))[:3] == (
        403, "permission_error", "api_key_read_only")
    assert count(app, Customer) == 0


def test_no_key_an_unknown_key_or_a_revoked_key_is_a_401(app, client, key):
    assert error_of(client.get("/api/v1/customers"))[:3] == (401, "authentication_error", "api_key_missing")
    assert error_of(client.get("/api/v1/customers", headers=bearer("rk_nope")))[2] == "api_key_invalid"
    assert client.get("/api/v1/customers", headers=bearer(key)).status_code == 200
    revoke(app, key)
    assert error_of(client.get("/api/v1/customers", headers=bearer(key)))[:3] == (
        401, "authentication_error", "api_key_revoked")


def test_the_api_takes_no_csrf_token_and_sets_no_cookie_even_beside_a_session(app, signed_in, key):
    created = signed_in.post("/api/v1/customers", json=CUSTOMER, headers=bearer(key))
    assert created.status_code == 201
    for response in (created, signed_in.get("/api/v1/customers", headers=bearer(key)),
                     signed_in.get("/api/v1/customers"), signed_in.get("/api/v1/openapi.json")):
        assert "Set-Cookie" not in response.headers
    # The session alone opens nothing: only a key does.
    assert signed_in.get("/api/v1/customers").status_code == 401


def test_keys_are_made_shown_once_and_revoked_on_the_dashboard(app, signed_in):
    page = signed_in.get("/settings/api-keys")
    made = signed_in.post("/settings/api-keys", data={"name": "QuickBooks sync", "scope": "write",
                                                      "csrf_token": csrf_token(page.text)})
    assert made.status_code == 303
    shown = signed_in.get("/settings/api-keys").text
    key = shown.split('id="new-key">')[1].split("<")[0]
    assert key.startswith("rk_")
    again = signed_in.get("/settings/api-keys").text
    assert key not in again and key[:11] + "…" in again and "QuickBooks sync" in again
    client = app.test_client()
    assert client.post("/api/v1/customers", json=CUSTOMER, headers=bearer(key)).status_code == 201
    key_id = again.split("/settings/api-keys/")[1].split("/revoke")[0]
    revoked = signed_in.post(f"/settings/api-keys/{key_id}/revoke", data={"csrf_token": csrf_token(again)})
    assert revoked.status_code == 303
    assert client.get("/api/v1/customers", headers=bearer(key)).status_code == 401
    refused = signed_in.post("/settings/api-keys", data={"name": "", "scope": "admin",
                                                         "csrf_token": csrf_token(again)})
    assert refused.status_code == 422
    assert "Enter a name for the key" in refused.text and "Choose read or write" in refused.text


# -- customers ----------------------------------------------------------------------------------


def test_a_customer_is_created_then_upserted_by_its_source_and_external_id(app, api):
    body = {**CUSTOMER, "source": "quickbooks", "external_id": "QB-1"}
    created = api.post("/customers", body)
    assert created.status_code == 201
    customer = created.get_json()
    assert customer["object"] == "customer" and customer["source"] == "quickbooks"
    assert customer["users"][0]["email"] == "ann@example.com"
    again = api.post("/customers", {**body, "city": "Dallas", "postal_code": "75201"})
    assert again.status_code == 200
    assert (again.get_json()["id"], again.get_json()["city"]) == (customer["id"], "Dallas")
    assert count(app, Customer) == 1
    assert api.get(f"/customers/{customer['id']}").get_json()["city"] == "Dallas"


def test_the_api_refuses_what_the_dashboard_refuses_with_the_same_message(app, api):
    assert api.post("/customers", CUSTOMER).status_code == 201
    refused = api.post("/customers", {**CUSTOMER, "company": "Other"})
    assert error_of(refused) == (400, "invalid_request_error", "parameter_invalid", "ein",
                                 "Northwind Dental already has the EIN 91-1144442")
    assert error_of(api.post("/customers", {**CUSTOMER, "ein": "", "users": [{"name": "A", "email": "nope"}]}))[3:] == (
        "users[0].email", "Enter an email address in the format name@example.com")
    assert error_of(api.post("/customers", {**CUSTOMER, "ein": "", "company": "Nul\u0000"}))[:4] == (
        400, "invalid_request_error", "parameter_invalid", "company")
    assert error_of(api.post("/customers", {**CUSTOMER, "ein": "", "company": 12}))[3] == "company"
    assert error_of(api.post("/customers", {**CUSTOMER, "ein": "", "colour": "red"}))[3] == "colour"
    assert count(app, Customer) == 1


def test_a_customer_is_updated_and_archived(app, api):
    customer_id = api.post("/customers", CUSTOMER).get_json()["id"]
    updated = api.post(f"/customers/{customer_id}", {"city": "Dallas", "postal_code": "75201"})
    assert updated.status_code == 200 and updated.get_json()["city"] == "Dallas"
    assert updated.get_json()["company"] == "Northwind Dental"
    archived = api.post(f"/customers/{customer_id}/archive")
    assert archived.status_code == 200 and archived.get_json()["archived"] is True


def test_lists_page_by_cursor(app, api):
    ids = [api.post("/customers", {**CUSTOMER, "ein": "", "company": f"Company {n}"}).get_json()["id"]
           for n in range(5)]
    first = api.get("/customers", limit=2).get_json()
    assert [c["id"] for c in first["data"]] == ids[:-3:-1] and first["has_more"] is True
    second = api.get("/customers", limit=2, starting_after=first["data"][-1]["id"]).get_json()
    assert [c["id"] for c in second["data"]] == [ids[2], ids[1]] and second["has_more"] is True
    last = api.get("/customers", limit=2, starting_after=ids[1]).get_json()
    assert [c["id"] for c in last["data"]] == [ids[0]] and last["has_more"] is False
    back = api.get("/customers", limit=2, ending_before=ids[2]).get_json()
    assert [c["id"] for c in back["data"]] == [ids[4], ids[3]] and back["has_more"] is False
    for bad in ({"limit": 0}, {"limit": 101}, {"limit": "2.5"}, {"starting_after": "x"}):
        assert error_of(api.get("/customers", **bad))[:2] == (400, "invalid_request_error")
    assert error_of(api.get("/customers", starting_after=1, ending_before=2))[3] == "ending_before"


def test_another_partners_ids_are_404(app, api, client, other_partner):
    theirs = make_key(app, other_partner)
    customer_id = client.post("/api/v1/customers", json=CUSTOMER, headers=bearer(theirs)).get_json()["id"]
    invoice_id = client.post("/api/v1/invoices", json={"customer": customer_id, "due_date": DUE, "lines": [LINE]},
                             headers=bearer(theirs)).get_json()["id"]
    for response in (api.get(f"/customers/{customer_id}"), api.post(f"/customers/{customer_id}", {"city": "X"}),
                     api.post(f"/customers/{customer_id}/archive"), api.get(f"/invoices/{invoice_id}"),
                     api.post(f"/invoices/{invoice_id}/finalize"), api.post(f"/invoices/{invoice_id}/send"),
                     api.post(f"/invoices/{invoice_id}/void", {"reason": "x"}),
                     api.post("/invoices", {"customer": customer_id, "due_date": DUE, "lines": [LINE]})):
        assert error_of(response)[:3] == (404, "invalid_request_error", "resource_missing")
    assert api.get("/customers").get_json()["data"] == []
    assert api.get("/invoices").get_json()["data"] == []


# -- invoices -----------------------------------------------------------------------------------


def test_invoices_are_made_as_drafts_or_finalized_and_move_through_their_states(app, api):
    customer_id = api.post("/customers", CUSTOMER).get_json()["id"]
    draft = api.post("/invoices", {"customer": customer_id, "due_date": DUE, "memo": "Thanks", "lines": [LINE]})
    assert draft.status_code == 201
    body = draft.get_json()
    assert (body["number"], body["status"], body["total"], body["issue_date"]) == (
        None, "draft", 403219, datetime.now(ZoneInfo("America/New_York")).date().isoformat())  # the partner's today
    assert body["lines"][0]["quantity"] == "3" and body["lines"][0]["tax_rate"] == "8.875"
    final = api.post("/invoices", {"customer": customer_id, "due_date": DUE, "finalize": True,
                                   "lines": [{**LINE, "quantity": 2.5, "tax_rate": 5}]})
    assert final.status_code == 201
    assert (final.get_json()["number"], final.get_json()["status"], final.get_json()["total"]) == (
        "INV-0001", "open", 324056)
    finalized = api.post(f"/invoices/{body['id']}/finalize")
    assert (finalized.status_code, finalized.get_json()["number"]) == (200, "INV-0002")
    assert error_of(api.post(f"/invoices/{body['id']}/finalize"))[:3] == (
        409, "invalid_request_error", "state_conflict")
    assert api.post(f"/invoices/{body['id']}/send").status_code == 200
    assert error_of(api.post(f"/invoices/{body['id']}/void", {"reason": ""}))[3:] == (
        "reason", "Enter the reason for voiding")
    voided = api.post(f"/invoices/{body['id']}/void", {"reason": "Wrong quantity"})
    assert (voided.get_json()["status"], voided.get_json()["void_reason"]) == ("void", "Wrong quantity")
    assert [i["number"] for i in api.get("/invoices", status="open").get_json()["data"]] == ["INV-0001"]
    assert len(api.get("/invoices", customer=customer_id).get_json()["data"]) == 2


def test_invoice_amounts_are_integers_and_lines_follow_the_forms_rules(app, api):
    customer_id = api.post("/customers", CUSTOMER).get_json()["id"]
    invoice = {"customer": customer_id, "due_date": DUE}
    assert error_of(api.post("/invoices", {**invoice, "lines": [{**LINE, "unit_amount": 2.5}]}))[:4] == (
        400, "invalid_request_error", "parameter_invalid", "lines[0].unit_amount")
    assert error_of(api.post("/invoices", {**invoice, "lines": [{**LINE, "unit_amount": "100"}]}))[3] == (
        "lines[0].unit_amount")
    assert error_of(api.post("/invoices", {**invoice, "lines": [{**LINE, "unit_amount": 10**13}]}))[3:] == (
        "lines[0].unit_amount", "Unit price must be 99,999,999.99 or less")
    assert error_of(api.post("/invoices", {**invoice, "lines": [{**LINE, "quantity": "1e3"}]}))[3] == (
        "lines[0].quantity")
    assert error_of(api.post("/invoices", {**invoice, "lines": [{**LINE, "description": "a\u0000b"}]}))[3] == (
        "lines[0].description")
    assert error_of(api.post("/invoices", {**invoice, "customer": 2.5, "lines": [LINE]}))[3] == "customer"
    assert error_of(api.post("/invoices", {**invoice, "due_date": "2001-01-01", "finalize": True,
                                           "lines": [LINE]}))[3] == "due_date"
    assert count(app, Invoice) == 0


def test_invoices_upsert_by_source_and_external_id(app, api):
    customer_id = api.post("/customers", CUSTOMER).get_json()["id"]
    body = {"customer": customer_id, "due_date": DUE, "lines": [LINE], "source": "halopsa", "external_id": "H-9"}
    first = api.post("/invoices", body)
    assert first.status_code == 201
    assert api.post("/invoices", body).status_code == 200
    assert api.post("/invoices", {**body, "finalize": True}).get_json()["number"] == "INV-0001"
    assert count(app, Invoice) == 1


# -- idempotency --------------------------------------------------------------------------------


def test_an_idempotency_key_replays_the_first_response_and_refuses_another_body(app, api):
    first = api.post("/customers", CUSTOMER, **{"Idempotency-Key": "abc-1"})
    again = api.post("/customers", CUSTOMER, **{"Idempotency-Key": "abc-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_data() == first.get_data() and again.headers["Idempotent-Replayed"] == "true"
    assert count(app, Customer) == 1
    other = api.post("/customers", {**CUSTOMER, "city": "Dallas"}, **{"Idempotency-Key": "abc-1"})
    assert error_of(other)[:3] == (409, "idempotency_error", "idempotency_key_reused")
    refused = api.post("/customers", {**CUSTOMER, "company": "Other"}, **{"Idempotency-Key": "abc-2"})
    assert refused.status_code == 400
    assert api.post("/customers", {**CUSTOMER, "company": "Other"}, **{"Idempotency-Key": "abc-2"}).get_data() == (
        refused.get_data())
    assert error_of(api.post("/customers", CUSTOMER, **{"Idempotency-Key": "é"}))[3] == "Idempotency-Key"


def _at_once(app, key, posts):
    results = [None] * len(posts)
    barrier = threading.Barrier(len(posts), timeout=10)

    def send(index, path, body, headers):
        client = app.test_client()
        barrier.wait()
        results[index] = client.post(f"/api/v1{path}", json=body, headers=bearer(key, **headers))

    threads = [threading.Thread(target=send, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_the_same_idempotency_key_at_once_makes_one_customer(app, key):
    responses = _at_once(app, key, [("/customers", CUSTOMER, {"Idempotency-Key": "same"})] * 4)
    assert {r.status_code for r in responses} == {201}
    assert len({r.get_data() for r in responses}) == 1
    assert count(app, Customer) == 1 and count(app, IdempotentRequest) == 1


def test_the_same_external_id_upserted_at_once_makes_one_customer(app, key):
    body = {**CUSTOMER, "source": "quickbooks", "external_id": "QB-7"}
    responses = _at_once(app, key, [("/customers", {**body, "city": city, "ein": ""}, {})
                                    for city in ("Austin", "Austin", "Austin", "Austin")])
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert count(app, Customer) == 1


def test_responses_older_than_a_day_are_forgotten(app, api):
    from datetime import timedelta as days

    from models._time import utcnow
    from services.idempotency import delete_expired

    first = api.post("/customers", CUSTOMER, **{"Idempotency-Key": "old"})
    with app.app_context():
        db.session.execute(IdempotentRequest.__table__.update().values(created_at=utcnow() - days(hours=25)))
        db.session.commit()
    # Past 24 hours the key is new again: the request runs (and the EIN is now taken).
    assert api.post("/customers", CUSTOMER, **{"Idempotency-Key": "old"}).get_data() != first.get_data()
    with app.app_context():
        db.session.execute(IdempotentRequest.__table__.update().values(created_at=utcnow() - days(hours=25)))
        db.session.commit()
        assert delete_expired("test", lambda: False) == "idempotency: deleted 1 expired"
    assert count(app, IdempotentRequest) == 0


# -- payments and payment methods ----------------------------------------------------------------


def test_an_offline_payment_is_recorded_listed_and_read(app, api):
    customer_id = api.post("/customers", CUSTOMER).get_json()["id"]
    invoice = api.post("/invoices", {"customer": customer_id, "due_date": DUE, "finalize": True,
                                     "lines": [LINE]}).get_json()
    paid = api.post(f"/invoices/{invoice['id']}/payments", {"amount": 100000, "method": "check", "reference": "1234"})
    assert paid.status_code == 201
    payment = paid.get_json()
    assert (payment["object"], payment["amount"], payment["status"], payment["kind"]) == (
        "payment", 100000, "succeeded", "check")
    assert api.get(f"/invoices/{invoice['id']}").get_json()["amount_paid"] == 100000
    assert [p["id"] for p in api.get("/payments", invoice=invoice["id"]).get_json()["data"]] == [payment["id"]]
    assert api.get(f"/payments/{payment['id']}").get_json() == payment
    # The dashboard's rules and messages: a method it does not know, an amount above the balance.
    assert error_of(api.post(f"/invoices/{invoice['id']}/payments", {"amount": 100, "method": "bitcoin"}))[3:] == (
        "method", "Choose how it was paid")
    assert error_of(api.post(f"/invoices/{invoice['id']}/payments", {"amount": 10**8, "method": "cash"}))[:4] == (
        400, "invalid_request_error", "parameter_invalid", "amount")
    assert error_of(api.post(f"/invoices/{invoice['id']}/payments", {"amount": 2.5, "method": "cash"}))[3] == "amount"


def test_saved_payment_methods_are_listed_and_read_without_their_numbers(app, api, partner, other_partner):
    from payment_helpers import card

    customer_id = api.post("/customers", CUSTOMER).get_json()["id"]
    method_id = card(app, customer_id, "4242424242424242", staff=partner)
    listed = api.get("/payment_methods", customer=customer_id).get_json()["data"]
    assert [(m["id"], m["last4"], m["brand"]) for m in listed] == [(method_id, "4242", "visa")]
    read = api.get(f"/payment_methods/{method_id}")
    assert read.get_json()["last4"] == "4242" and "4242424242424242" not in read.get_data(as_text=True)
    theirs = make_key(app, other_partner)
    assert app.test_client().get(f"/api/v1/payment_methods/{method_id}", headers=bearer(theirs)).status_code == 404
