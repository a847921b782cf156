"""Configuration from the environment, cookies and security headers."""

import pytest

from config import ConfigError, load_config


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("APP_ENV", "SECRET_KEY", "DATABASE_URL", "BASE_URL", "SESSION_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_refuses_to_start_without_a_secret_key(clean_env, tmp_path):
    clean_env.setenv("APP_ENV", "production")
    clean_env.setenv("BASE_URL", "https://ar.example.com")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path))


def test_production_needs_base_url_and_turns_on_secure_cookies(clean_env, tmp_path):
    clean_env.setenv("APP_ENV", "production")
    clean_env.setenv("SECRET_KEY", "s" * 40)
    with pytest.raises(ConfigError, match="BASE_URL"):
        load_config(str(tmp_path))
    clean_env.setenv("BASE_URL", "https://ar.example.com/")
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["BASE_URL"] == "https://ar.example.com"


def test_development_makes_a_secret_key_once_and_keeps_it(clean_env, tmp_path):
    first = load_config(str(tmp_path))["SECRET_KEY"]
    assert len(first) > 40
    assert load_config(str(tmp_path))["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_defaults_to_sqlite_in_instance_and_accepts_plain_postgres(clean_env, tmp_path):
    assert load_config(str(tmp_path))["SQLALCHEMY_DATABASE_URI"].startswith(f"sqlite:///{tmp_path}")
    clean_env.setenv("DATABASE_URL", "postgresql://user@db/receivables")
    assert load_config(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db/receivables"


def test_unknown_app_env_is_refused(clean_env, tmp_path):
    clean_env.setenv("APP_ENV", "staging")
    with pytest.raises(ConfigError):
        load_config(str(tmp_path))


def test_session_cookie_is_httponly_and_samesite_lax(signed_in):
    response = signed_in.get("/login")
    cookie = signed_in.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
    assert response.status_code in (200, 302)


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.text and "hx-on" not in response.text


def test_static_files_are_fingerprinted_and_cached_for_a_year(client):
    page = client.get("/login").text
    css = next(part.split('"')[0] for part in page.split('href="')[1:] if "app.css" in part)
    assert "?v=" in css
    response = client.get(css)
    response.close()
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_htmx_is_vendored_and_carries_the_csrf_header(signed_in):
    page = signed_in.get("/customers").text
    assert "/static/vendor/htmx-4.0.1.min.js" in page
    assert "hx-headers:inherited=" in page and "X-CSRFToken" in page


def test_reading_a_page_does_not_write_the_session(app, signed_in):
    from extensions import db

    signed_in.get("/customers")
    with app.app_context():
        before = db.session.execute(db.text("SELECT data, expiry FROM web_sessions")).all()
    signed_in.get("/customers")
    signed_in.get("/customers?q=x")
    with app.app_context():
        after = db.session.execute(db.text("SELECT data, expiry FROM web_sessions")).all()
    assert before == after

