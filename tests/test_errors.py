"""Error pages: plain words, no stack traces, and never over a field being typed in."""

from conftest import csrf_token


def test_unknown_page_is_a_friendly_404(signed_in):
    response = signed_in.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.text and "<title>Error: " in response.text


def test_wrong_method_is_a_405_with_allow(signed_in):
    response = signed_in.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_errors_of_partial_htmx_requests_go_to_the_alert_region(signed_in):
    response = signed_in.get(
        "/customers/999999", headers={"HX-Request": "true", "HX-Request-Type": "partial"}
    )
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#alerts"
    assert "<html" not in response.text and 'role="alert"' in response.text


def test_expired_csrf_token_on_a_blur_check_says_reload(signed_in):
    response = signed_in.post(
        "/customers/new/check/company", data={"company": "x"},
        headers={"HX-Request": "true", "HX-Request-Type": "partial", "X-CSRFToken": "stale"},
    )
    assert response.status_code == 400
    assert "Your session expired. Reload the page and try again." in response.text
    assert response.headers["HX-Retarget"] == "#alerts"


def test_a_crash_shows_the_500_page_without_a_traceback_and_saves_nothing(app, signed_in, monkeypatch):
    from sqlalchemy import func, select

    from extensions import db
    from models import Partner

    def explode():
        db.session.add(Partner(name="half-written"))
        db.session.flush()
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "customers.index", explode)
    response = signed_in.get("/customers")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "boom" not in response.text and "Traceback" not in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Partner.name == "half-written")) == 0


def test_too_many_sign_in_failures_get_the_429_page(client, partner):
    for _ in range(11):
        page = client.get("/login")
        response = client.post("/login", data={
            "email": partner.email, "password": "wrong password!", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 429
    assert "Retry-After" in response.headers
