"""Requests at the same instant: one wins, the others get a message or the conflict page, never a 500.

Each request runs in its own thread with its own test client (one partner's session cookie),
against the app and its real database. A barrier inside the service lines the requests up
after their forms were judged and before they write, where a real race would meet.
"""

import threading

import pytest
from customer_helpers import history_of, make_customer, make_tag, tag_names_on, token, user_emails
from sqlalchemy import select

from extensions import db
from models import CustomerUser, HistoryEntry
from services import customer_profile, customer_users, tags
from services import customers as customer_service


def _at_once(app, cookie, posts):
    """POST each (url, data) from its own thread and client at once; the responses in order."""
    results = [None] * len(posts)

    def send(index, url, data):
        client = app.test_client()
        client.set_cookie("session", cookie)
        results[index] = client.post(url, data=data)

    threads = [threading.Thread(target=send, args=(i, url, data)) for i, (url, data) in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _lined_up(monkeypatch, module, name, parties):
    """Make module.name wait until `parties` requests have reached it, then run them all."""
    original = getattr(module, name)
    barrier = threading.Barrier(parties, timeout=10)

    def lined_up(*args, **kwargs):
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, lined_up)


def _statuses(responses) -> list[int]:
    return sorted(r.status_code for r in responses)


def _user_ids(app, customer_id) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(
            select(CustomerUser.id).where(CustomerUser.customer_id == customer_id).order_by(CustomerUser.id)
        ))


def test_two_users_given_the_same_new_email_at_once_one_is_saved_one_is_told(app, signed_in, partner, monkeypatch):
    customer_id = make_customer(app, partner, users=(("Ann Lee", "ann@example.com"), ("Bob Ray", "bob@example.com")))
    ann, bob = _user_ids(app, customer_id)
    csrf = token(signed_in, f"/customers/{customer_id}/users")
    _lined_up(monkeypatch, customer_users, "update_user", 2)
    responses = _at_once(app, signed_in.get_cookie("session").value, [
        (f"/customers/{customer_id}/users/{user}/edit",
         {"csrf_token": csrf, "user-name": name, "user-email": "desk@example.com"})
        for user, name in ((ann, "Ann Lee"), (bob, "Bob Ray"))
    ])
    assert _statuses(responses) == [303, 422]
    refused = next(r for r in responses if r.status_code == 422)
    assert "desk@example.com is already a user of this customer" in refused.text
    assert sorted(user_emails(app, customer_id)) in (["ann@example.com", "desk@example.com"],
                                                     ["bob@example.com", "desk@example.com"])


def test_the_same_new_user_added_to_two_customers_at_once_is_never_a_500(app, signed_in, partner, monkeypatch):
    first = make_customer(app, partner, company="First Co", ein=None)
    second = make_customer(app, partner, company="Second Co", ein=None)
    csrf = token(signed_in, f"/customers/{first}/users")
    _lined_up(monkeypatch, customer_users, "add_users", 2)
    responses = _at_once(app, signed_in.get_cookie("session").value, [
        (f"/customers/{customer}/users/new",
         {"csrf_token": csrf, "action": "save", "users-0-name": "Cy", "users-0-email": "cy@example.com"})
        for customer in (first, second)
    ])
    # Both customers may share the one portal login (insert-or-get), else the second is a conflict.
    assert set(_statuses(responses)) <= {303, 409} and 303 in _statuses(responses)
    assert "cy@example.com" in user_emails(app, first) + user_emails(app, second)


def test_two_drafts_creating_customers_with_the_same_new_user_at_once_are_never_a_500(app, partner, monkeypatch):
    from test_onboarding import Flow

    from conftest import Auth

    flows = []
    for company in ("North Clinic", "South Clinic"):
        flow = Flow(app.test_client())
        Auth(flow.client).login(partner.email)
        flow.to_users(company=company, ein="")
        flows.append(flow)
    _lined_up(monkeypatch, customer_service, "create_customer", 2)
    results = [None, None]

    def create(index):
        results[index] = flows[index].users([("Eve Kim", "eve@example.com")], "create")

    threads = [threading.Thread(target=create, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(_statuses(results)) <= {303, 409} and 303 in _statuses(results)


def test_six_archive_posts_at_once_write_one_history_entry(app, signed_in, partner, monkeypatch):
    customer_id = make_customer(app, partner)
    csrf = token(signed_in, f"/customers/{customer_id}")
    _lined_up(monkeypatch, customer_profile, "archive_customer", 6)
    responses = _at_once(app, signed_in.get_cookie("session").value,
                         [(f"/customers/{customer_id}/archive", {"csrf_token": csrf})] * 6)
    assert _statuses(responses) == [303] * 6
    assert [action for action, _s, _c in history_of(app, customer_id)] == ["customer.archived"]


def test_deleting_a_tag_while_a_bulk_add_of_it_runs_is_never_a_500(app, signed_in, partner, monkeypatch):
    ids = [make_customer(app, partner, company=f"Co {i}", ein=None) for i in range(5)]
    tag_id = make_tag(app, partner, "VIP")
    csrf = token(signed_in, "/tags")
    deleted = threading.Event()
    original = tags.add_tag_to_customers

    def after_the_delete(*args, **kwargs):  # the bulk add read the tag; the delete commits; then it writes
        assert deleted.wait(timeout=10)
        return original(*args, **kwargs)

    monkeypatch.setattr(tags, "add_tag_to_customers", after_the_delete)
    cookie = signed_in.get_cookie("session").value
    results = {}

    def bulk():
        client = app.test_client()
        client.set_cookie("session", cookie)
        results["bulk"] = client.post("/tags/bulk", data={
            "csrf_token": csrf, "action": "add", "tag_id": str(tag_id), "customer_id": [str(i) for i in ids],
            "next": "/customers"}, follow_redirects=True)

    thread = threading.Thread(target=bulk)
    thread.start()
    delete = signed_in.post(f"/tags/{tag_id}/delete", data={"csrf_token": csrf})
    deleted.set()
    thread.join()
    assert delete.status_code == 303
    assert results["bulk"].status_code == 200
    assert "The tag VIP was deleted a moment ago: nothing changed" in results["bulk"].text
    assert all(tag_names_on(app, i) == [] for i in ids)
    with app.app_context():
        assert db.session.scalar(select(HistoryEntry.id).where(HistoryEntry.action == "tag.added")) is None


@pytest.mark.parametrize("archived_first", [False, True])
def test_archive_and_restore_are_idempotent(app, partner, archived_first):
    from unit_of_work import unit_of_work

    customer_id = make_customer(app, partner)
    with app.app_context():
        from models import Customer

        customer = db.session.get(Customer, customer_id)
        change = customer_profile.restore_customer if archived_first else customer_profile.archive_customer
        if archived_first:
            with unit_of_work():
                customer_profile.archive_customer(customer, staff_id=partner.id)
        with unit_of_work():
            assert change(customer, staff_id=partner.id) is True
        with unit_of_work():
            assert change(customer, staff_id=partner.id) is False
    actions = [action for action, _s, _c in history_of(app, customer_id)]
    assert actions == (["customer.archived", "customer.restored"] if archived_first else ["customer.archived"])
