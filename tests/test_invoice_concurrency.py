"""Invoice numbers under concurrent finalizes: gapless and unique per partner, never a 500.

Run on SQLite and on PostgreSQL (TEST_DATABASE_URL), where the counter row's lock is what
orders the finalizes of one partner while the other partner's go on beside them.
"""

import threading

from customer_helpers import make_customer, make_draft_invoice
from sqlalchemy import select

from conftest import Auth, csrf_token
from extensions import db
from models import Invoice
from services import invoices as service


def _drafts(app, staff, count: int) -> list[int]:
    customer_id = make_customer(app, staff, company=f"Client of {staff.email}", ein=None)
    return [make_draft_invoice(app, staff, customer_id) for _ in range(count)]


def _signed_in_cookie(app, staff) -> tuple[str, str]:
    client = app.test_client()
    Auth(client).login(staff.email)
    csrf = csrf_token(client.get("/invoices").text)  # the page writes the CSRF secret into the cookie
    return client.get_cookie("session").value, csrf


def _finalize_at_once(app, posts: list[tuple[str, str, int]]) -> list[int]:
    """POST /invoices/<id>/finalize for each (cookie, csrf, id), from one thread each, released together."""
    start = threading.Barrier(len(posts), timeout=20)
    statuses = [0] * len(posts)

    def send(index, cookie, csrf, invoice_id):
        client = app.test_client()
        client.set_cookie("session", cookie)
        start.wait()
        statuses[index] = client.post(f"/invoices/{invoice_id}/finalize", data={"csrf_token": csrf}).status_code

    threads = [threading.Thread(target=send, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _numbers(app, partner_id) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(
            select(Invoice.number).where(Invoice.partner_id == partner_id, Invoice.number.is_not(None))))


def test_twenty_finalizes_at_once_for_two_partners_leave_no_gap_and_no_duplicate(app, partner, other_partner):
    posts = []
    for staff in (partner, other_partner):
        cookie, csrf = _signed_in_cookie(app, staff)
        posts += [(cookie, csrf, invoice_id) for invoice_id in _drafts(app, staff, 10)]
    statuses = _finalize_at_once(app, posts)
    assert statuses == [303] * 20
    for staff in (partner, other_partner):
        assert _numbers(app, staff.partner_id) == [f"INV-{n:04d}" for n in range(1, 11)]


def test_one_draft_finalized_twice_at_once_takes_one_number(app, partner, monkeypatch):
    cookie, csrf = _signed_in_cookie(app, partner)
    (draft,) = _drafts(app, partner, 1)
    original, lined_up = service.finalize, threading.Barrier(2, timeout=10)

    def finalize(*args, **kwargs):
        lined_up.wait()  # both requests have read the draft; now both try
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "finalize", finalize)
    statuses = _finalize_at_once(app, [(cookie, csrf, draft), (cookie, csrf, draft)])
    assert sorted(statuses) == [303, 409]
    assert _numbers(app, partner.partner_id) == ["INV-0001"]
    monkeypatch.undo()
    (cookie, csrf), (second,) = _signed_in_cookie(app, partner), _drafts(app, partner, 1)
    assert _finalize_at_once(app, [(cookie, csrf, second)]) == [303]
    assert _numbers(app, partner.partner_id) == ["INV-0001", "INV-0002"]  # the loser gave its number back
