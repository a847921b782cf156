"""Configuration from the environment, cookies and security headers."""

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from fresh_app import run_fresh_app
from sqlalchemy import create_engine

from config import ConfigError, load_config
from conftest import PASSWORD, csrf_token

ROOT = Path(__file__).parent.parent


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("APP_ENV", "SECRET_KEY", "DATABASE_URL", "BASE_URL", "RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


PRODUCTION = {"APP_ENV": "production", "SECRET_KEY": "a production secret " * 3, "BASE_URL": "https://ar.example.com"}


def test_production_refuses_to_start_without_a_secret_key(clean_env, tmp_path):
    clean_env.setenv("APP_ENV", "production")
    clean_env.setenv("BASE_URL", "https://ar.example.com")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path))
    clean_env.setenv("SECRET_KEY", "   ")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path))
    assert not (tmp_path / "secret_key").exists()  # and makes none up


def test_production_needs_base_url_and_turns_on_secure_cookies(clean_env, tmp_path):
    clean_env.setenv("APP_ENV", "production")
    clean_env.setenv("SECRET_KEY", "s" * 40)
    with pytest.raises(ConfigError, match="BASE_URL"):
        load_config(str(tmp_path))
    clean_env.setenv("BASE_URL", "https://ar.example.com/")
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["BASE_URL"] == "https://ar.example.com"
    assert config["DEBUG"] is False


def test_production_session_cookie_is_secure_httponly_and_lax(tmp_path):
    answer = run_fresh_app("""
        response = client.get("/login", base_url="https://ar.example.com")
        report({"debug": app.debug, "cookies": response.headers.getlist("Set-Cookie")})
    """, **PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    assert answer["debug"] is False
    (cookie,) = answer["cookies"]
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0].startswith("session=")
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} <= set(attributes)


def test_development_is_the_default_and_not_secure_only(clean_env, tmp_path):
    config = load_config(str(tmp_path))
    assert config["APP_ENV"] == "development"
    assert config["SESSION_COOKIE_SECURE"] is False  # http://127.0.0.1:5000 must work


def test_development_makes_a_secret_key_once_and_keeps_it_in_instance(clean_env, tmp_path):
    first = load_config(str(tmp_path))["SECRET_KEY"]
    assert len(first) > 40
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert load_config(str(tmp_path))["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by its owner only
    other = tmp_path / "other"
    assert load_config(str(other))["SECRET_KEY"] != first  # each instance its own


def test_a_secret_key_from_the_environment_wins_and_is_not_written(clean_env, tmp_path):
    clean_env.setenv("SECRET_KEY", "from the environment")
    assert load_config(str(tmp_path))["SECRET_KEY"] == "from the environment"
    assert not (tmp_path / "secret_key").exists()


def test_database_url_defaults_to_sqlite_in_instance(clean_env, tmp_path):
    assert load_config(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'receivables.sqlite3'}"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://user@db/receivables", "postgresql+psycopg://user@db/receivables"),
        ("postgres://user:pw@db:5433/ar?sslmode=require", "postgresql+psycopg://user:pw@db:5433/ar?sslmode=require"),
        ("postgresql+psycopg://user@db/ar", "postgresql+psycopg://user@db/ar"),
        ("sqlite:////srv/ar.sqlite3", "sqlite:////srv/ar.sqlite3"),
    ],
)
def test_plain_postgresql_urls_use_the_shipped_driver(clean_env, tmp_path, given, used):
    clean_env.setenv("DATABASE_URL", given)
    assert load_config(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == used


def test_a_plain_postgresql_url_gets_an_engine_with_psycopg(clean_env, tmp_path):
    clean_env.setenv("DATABASE_URL", "postgresql://user@db.invalid/receivables")
    engine = create_engine(load_config(str(tmp_path))["SQLALCHEMY_DATABASE_URI"])
    assert engine.dialect.driver == "psycopg"  # no connection is made until one is needed


def test_unknown_app_env_is_refused(clean_env, tmp_path):
    clean_env.setenv("APP_ENV", "staging")
    with pytest.raises(ConfigError):
        load_config(str(tmp_path))


def test_session_cookie_set_at_sign_in_is_httponly_lax_and_bounded(client, partner):
    page = client.get("/login")
    response = client.post("/login", data={
        "email": partner.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)})
    assert response.status_code == 303
    (cookie,) = response.headers.getlist("Set-Cookie")
    attributes = {part.strip().split("=")[0]: part.strip() for part in cookie.split(";")}
    assert "HttpOnly" in attributes and attributes["SameSite"] == "SameSite=Lax"
    assert "Secure" not in attributes  # only in production, over https
    expires = parsedate_to_datetime(attributes["Expires"].split("=", 1)[1])
    assert timedelta(hours=11) < expires - datetime.now(UTC) <= timedelta(hours=12)


# -- security headers ------------------------------------------------------------

def test_security_headers_on_pages_fragments_and_errors(signed_in):
    for url, headers in (("/customers", {}), ("/customers?q=x", {"HX-Request": "true", "HX-Request-Type": "partial"}),
                         ("/no-such-page", {})):
        response = signed_in.get(url, headers=headers)
        csp = {d.split()[0]: d.split()[1:] for d in response.headers["Content-Security-Policy"].split("; ")}
        assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"], url
        assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"], url
        assert "unsafe-inline" not in str(csp) and "unsafe-eval" not in str(csp), url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")
        assert response.headers["Cache-Control"] == "no-store", url


def test_sign_in_page_has_the_security_headers(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "an inline <style>"),
    (re.compile(r"\sstyle=", re.I), "a style attribute"),
    (re.compile(r"\shx-on", re.I), "hx-on (needs eval)"),
    (re.compile(r"\son[a-z]+=", re.I), "an inline event handler"),
    (re.compile(r"hx-trigger=\"[^\"]*\[", re.I), "an htmx trigger filter (needs eval)"),
    (re.compile(r"\|\s*safe\b"), "|safe"),
]


def test_templates_need_nothing_the_content_security_policy_forbids():
    found = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        if template.parts[-2] == "email":
            continue  # emails are read in mail clients, not under our CSP
        source = re.sub(r"{#.*?#}", "", template.read_text(), flags=re.S)  # Jinja comments
        for pattern, what in INLINE:
            if template.name == "pdf.html" and what == "an inline <style>":
                continue  # WeasyPrint reads the PDF's template (services/invoice_pdf.py), never a browser
            for match in pattern.finditer(source):
                line = source.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(ROOT)}:{line}: {what}")
    assert not found, "\n".join(found)


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
    body = re.search(r"<body[^>]*>", page).group(0)
    assert "hx-headers:inherited=" in body and "X-CSRFToken" in body
    assert csrf_token(page) in body  # the same token the forms carry


def test_the_vendored_htmx_matches_the_sha256_in_the_readme():
    import hashlib

    digest = hashlib.sha256((ROOT / "static/vendor/htmx-4.0.1.min.js").read_bytes()).hexdigest()
    assert f"`{digest}`" in (ROOT / "README.md").read_text()


# -- sessions --------------------------------------------------------------------

def test_reading_a_page_does_not_write_the_session(app, signed_in):
    signed_in.get("/customers")  # the first page stores the session's CSRF secret
    responses = [
        signed_in.get("/customers"),
        signed_in.get("/customers?q=x", headers={"HX-Request": "true", "HX-Request-Type": "partial"}),
        signed_in.get("/customers/999999"),  # an error page too
    ]
    assert [r.headers.get("Set-Cookie") for r in responses] == [None, None, None]


def test_the_sign_in_page_hides_the_password_and_never_sends_it_back(client, partner):
    page = client.get("/login")
    assert re.search(r'<input[^>]*id="password"[^>]*type="password"', page.text)
    response = client.post("/login", data={
        "email": partner.email, "password": "my secret attempt", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 422
    assert "my secret attempt" not in response.text
    assert re.search(r'<input[^>]*id="password"[^>]*type="password"', response.text)
    assert re.search(r'<input[^>]*id="email"[^>]*type="email"[^>]*value="owner@acme-it.example.com"', response.text)


def test_the_payment_gateway_is_the_sandbox_unless_configured(clean_env, tmp_path):
    clean_env.delenv("PAYMENT_GATEWAY", raising=False)
    assert load_config(str(tmp_path))["PAYMENT_GATEWAY"] == "sandbox"
    clean_env.setenv("PAYMENT_GATEWAY", " Stripe ")
    assert load_config(str(tmp_path))["PAYMENT_GATEWAY"] == "stripe"


@pytest.mark.parametrize(("name", "message"), [
    ("stripe", "PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY"),
    ("paypal", "PAYMENT_GATEWAY must be one of sandbox, stripe, not 'paypal'"),
])
def test_a_payment_gateway_that_cannot_run_stops_the_app_at_start(tmp_path, name, message):
    from app import create_app

    with pytest.raises(ConfigError, match=message):
        create_app({"PAYMENT_GATEWAY": name, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'pay.sqlite3'}"})


def test_rate_limits_turned_off_still_start_the_app_and_sign_in(tmp_path):
    # RATELIMIT_ENABLED=0 (the benchmark's profiler, a test rig): Flask-Limiter adds no hooks, and
    # the app must not trip over the hook it would otherwise drop.
    answer = run_fresh_app("""
        page = client.get("/login")
        report({"status": page.status_code, "limits": app.config["RATELIMIT_ENABLED"]})
    """, RATELIMIT_ENABLED="0", APP_ENV="test", DATABASE_URL=f"sqlite:///{tmp_path / 'off.sqlite3'}")
    assert answer == {"status": 200, "limits": False}
