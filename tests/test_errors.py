"""Error pages: plain words, no stack traces, and never over a field being typed in."""

import pytest
from fresh_app import run_fresh_app
from sqlalchemy import func, select

from conftest import csrf_token
from extensions import db
from models import Partner

PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}
CSRF_EXPIRED = "Your session expired. Reload the page and try again."


def test_unknown_page_is_a_friendly_404(signed_in):
    response = signed_in.get("/no-such-page")
    assert response.status_code == 404
    assert "<title>Error: Page not found · Receivables</title>" in response.text
    assert "<h1>Page not found</h1>" in response.text
    assert 'href="/customers"' in response.text  # a way back


def test_unknown_page_for_a_visitor_who_is_not_signed_in_is_a_404_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Page not found" in response.text


def test_wrong_method_is_a_405_page_with_allow(signed_in):
    response = signed_in.get("/logout")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    assert "<title>Error: " in response.text and "not available" in response.text


def test_errors_of_partial_htmx_requests_go_to_the_alert_region(signed_in):
    response = signed_in.get("/customers/999999", headers=PARTIAL)
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#alerts"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert response.text.strip() == (
        '<div class="flash flash-error" role="alert">'
        "There is nothing here. It may have moved, or the address may be wrong.</div>"
    )


def test_errors_of_htmx_requests_that_want_a_whole_page_get_the_page(signed_in):
    response = signed_in.get("/customers/999999", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "HX-Retarget" not in response.headers and "<h1>Page not found</h1>" in response.text


def test_a_post_without_its_csrf_token_says_the_session_expired(signed_in):
    response = signed_in.post("/logout")
    assert response.status_code == 400
    assert CSRF_EXPIRED in response.text and "<title>Error: " in response.text
    assert "CSRF" not in response.text and "Traceback" not in response.text
    assert signed_in.get("/customers").status_code == 200  # still signed in: nothing happened


def test_expired_csrf_token_on_a_blur_check_says_reload_in_the_alert_region(signed_in):
    response = signed_in.post(
        "/customers/new/check/company", data={"company": "x"},
        headers={**PARTIAL, "X-CSRFToken": "stale"},
    )
    assert response.status_code == 400
    assert CSRF_EXPIRED in response.text
    assert response.headers["HX-Retarget"] == "#alerts"


def test_a_token_from_a_session_that_ended_says_reload(client, partner):
    from conftest import Auth

    Auth(client).login(partner.email)
    old_token = csrf_token(client.get("/customers").text)
    client.post("/logout", data={"csrf_token": old_token})
    response = client.post("/login", data={"email": partner.email, "password": "x", "csrf_token": old_token})
    assert response.status_code == 400 and CSRF_EXPIRED in response.text


CRASH = """
from extensions import db
from models import Partner
from blueprints import errors

if sys.argv[1:] == ["--without-rollback"]:
    errors._rollback = lambda: None  # shows what the test would see if the handler forgot

@app.teardown_request
def commit_later(_error):
    # Whatever commits through db.session after the error page (as database sessions did)
    # must find nothing half-written: the handler's rollback comes first.
    db.session.commit()

@app.get("/test-only/crash")
def crash():
    db.session.add(Partner(name="half-written"))
    db.session.flush()
    raise RuntimeError("secret detail of the crash")

answers = []
for headers in ({}, {"HX-Request": "true", "HX-Request-Type": "partial"}):
    response = client.get("/test-only/crash", headers=headers)
    answers.append({"status": response.status_code, "text": response.text, "headers": dict(response.headers)})
report(answers)
"""


def half_written(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Partner.name == "half-written"))


@pytest.fixture
def crash_env(app, database_url):
    return {"APP_ENV": "production", "SECRET_KEY": "s" * 40, "BASE_URL": "https://ar.example.com",
            "DATABASE_URL": database_url}


def test_a_crash_shows_the_500_page_without_a_traceback_and_saves_nothing(app, crash_env):
    page, partial = run_fresh_app(CRASH, **crash_env)
    assert page["status"] == 500
    assert "<title>Error: Something went wrong · Receivables</title>" in page["text"]
    assert "Nothing was saved" in page["text"]
    for answer in (page, partial):
        assert "secret detail" not in answer["text"] and "Traceback" not in answer["text"]
        assert "RuntimeError" not in answer["text"]
    assert partial["status"] == 500 and partial["headers"]["HX-Retarget"] == "#alerts"
    assert "<html" not in partial["text"] and "Something went wrong" in partial["text"]
    assert half_written(app) == 0


def test_the_crash_check_would_see_a_forgotten_rollback(app, crash_env, database_url):
    """The test above can fail: without the handler's rollback, a later commit saves the row."""
    if database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL refuses the crash's write outside a unit of work before it is made "
                    "(tests/test_connections.py): there is nothing for the handler to roll back")
    run_fresh_app(CRASH, "--without-rollback", **crash_env)
    assert half_written(app) > 0


def test_too_many_sign_in_failures_get_the_429_page(client, partner):
    for _ in range(11):
        page = client.get("/login")
        response = client.post("/login", data={
            "email": partner.email, "password": "wrong password!", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "<title>Error: Too many attempts · Receivables</title>" in response.text


def test_the_error_page_needs_neither_the_session_nor_the_database(app, signed_in, monkeypatch):
    """While the database is down, loading the signed-in user fails too: the 500 page still shows."""
    from extensions import login_manager

    def database_down(*_args, **_kwargs):
        raise ConnectionError("database is down")

    monkeypatch.setattr(login_manager, "_user_callback", database_down)
    response = signed_in.get("/customers")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "<title>Error: " in response.text
    assert "database is down" not in response.text
