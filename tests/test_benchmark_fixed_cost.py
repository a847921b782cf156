"""The benchmark's fixed-cost row (benchmarks/fixed_cost.py) measures a view that does nothing behind
every hook a blur check meets: it must answer each kind of request as the real check does, or the row
would overstate what a check can reach."""

import pytest

from app import create_app
from benchmarks.fixed_cost import EMPTY_CHECK, with_empty_check
from conftest import PASSWORD, Auth, csrf_token
from extensions import db

CHECK = "/customers/new/check/company"
PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial", "HX-Current-URL": "http://localhost/customers/new"}
FORM = {"company": "Harbor Dental", "country": "US"}


@pytest.fixture
def measured(app):
    """A second app on the test database, made as the benchmark's gunicorn makes it."""
    config = {name: app.config[name] for name in ("TESTING", "SQLALCHEMY_DATABASE_URI", "MAIL_OUTBOX_DIR")}
    made = with_empty_check(create_app({**config, "SERVER_NAME": None}))
    yield made
    with made.app_context():
        db.engine.dispose()  # its pooled connections, before the next test cleans the database


def both(client, token: str | None) -> list:
    """The real check's response and the empty one's, to the same request."""
    headers = {**PARTIAL, **({"X-CSRFToken": token} if token else {})}
    return [client.post(path, data=FORM, headers=headers) for path in (CHECK, EMPTY_CHECK)]


def seen(response) -> tuple[int, str | None]:
    return response.status_code, response.headers.get("HX-Redirect")


def test_the_empty_check_is_refused_as_the_check_is_then_answers_with_nothing(measured, partner):
    client = measured.test_client()
    signed_out_token = csrf_token(client.get("/login").text)
    check, empty = map(seen, both(client, signed_out_token))
    assert check == empty and check[0] == 401 and check[1].startswith("/login?next=")  # the dashboard's guard

    assert Auth(client).login(partner.email, PASSWORD).status_code == 303
    check, empty = map(seen, both(client, None))
    assert check == empty == (400, None)  # the CSRF check

    check, empty = both(client, csrf_token(client.get("/customers/new").text))
    assert seen(check) == seen(empty) == (200, None)
    assert 'id="row-company"' in check.text and empty.data == b""
