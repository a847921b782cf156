"""What a request carries: no change on GET or HEAD, integers, the input guard, `next`,
proxies and HSTS."""

import pytest
from customer_helpers import PARTIAL, make_tag
from fresh_app import run_fresh_app
from test_customers import FORM, fill, snapshot, their_things
from test_onboarding import Flow
from test_portal import GOOD_PASSWORD

from config import ConfigError, load_config
from conftest import PASSWORD, csrf_token
from extensions import db
from models import PortalAccount, Tag
from request_input import int_value, safe_next

# -- no state change on GET or HEAD ---------------------------------------------------

# Reviewed: these answer GET and HEAD by showing something, never by changing it.
READ_ONLY = {
    "auth.home", "customers.index", "onboarding.details", "onboarding.users",
    "customer_page.profile", "customer_page.users", "customer_page.history", "customer_page.edit",
    "customer_page.add_users", "customer_page.edit_user", "customer_page.confirm_remove_user",
    "customer_page.confirm_archive",
    "customer_page.tag_suggestions", "tags.index", "tags.log", "static", "favicon",
    "invoices.index", "invoices.show", "invoices.invoices", "settings.logo",
    "invoice_documents.pdf", "overview.index", "portal_invoices.index",
    "automation_settings.reminders", "customer_picker.pick",
    "api_keys.page", "api.docs", "openapi.spec",
    "customer_page.payment_methods", "portal_payment_methods.index", "payments.show", "portal_payments.receipt",
    "webhooks.page", "webhooks.log", "imports.index", "imports.show", "imports.progress", "imports.invalid_rows",
    # The emailed links move their token into the session and redirect: they write no row.
    "portal.open_invitation", "portal.open_reset", "auth.open_reset",
}
# One URL, two views in one: GET and HEAD show the form, only POST acts on it.
FORM_PAGES = {
    "auth.login", "tags.new", "tags.edit", "tags.delete", "portal.login", "portal.choose",
    "portal.set_password", "portal.reset", "portal.forgot_password", "auth.reset", "auth.forgot_password",
    "invoices.new", "invoices.edit", "settings.page",
    "automation_settings.schedule", "automation_settings.summary_settings", "automation_settings.auto_pay_settings",
    "automation_settings.auto_pay_edit",
    "portal_payments.pay", "sandbox_processor.card", "sandbox_processor.bank",
}
# Bookkeeping on a GET (an invoice viewed, a payment processor's return): idempotent, never on HEAD.
# portal.home records that the portal showed the company (the Users tab's Active), on GET only
# (tests/test_portal.py: a HEAD records nothing).
# portal_invoices.show and .pdf record an invoice's first view (tests/test_invoice_documents.py).
# The API's reads record when their key was last used (at most once a minute; not on HEAD).
# The way back from a payment processor saves the method its token names, once, for a state made
# by this session, not on HEAD (tests/test_payment_methods.py).
BOOKKEEPING_GETS = {"portal.home", "portal_invoices.show", "portal_invoices.pdf",
                    "customer_page.payment_methods_added", "portal_payment_methods.added",
                    "api.list_customers", "api.get_customer", "api.list_invoices", "api.get_invoice",
                    "api.list_payments", "api.get_payment", "api.list_payment_methods", "api.get_payment_method"}


def test_every_rule_that_answers_get_is_reviewed_as_read_only(app):
    unreviewed = sorted(rule.endpoint for rule in app.url_map.iter_rules()
                        if "GET" in rule.methods and rule.endpoint not in READ_ONLY | FORM_PAGES | BOOKKEEPING_GETS)
    assert not unreviewed, f"GET reaches these: review them, then list them above: {unreviewed}"
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert posts >= FORM_PAGES, "a form page that takes no POST is read-only: move it to READ_ONLY"
    assert not READ_ONLY & posts, "a read-only view that takes a POST is a form page: move it to FORM_PAGES"


def test_get_and_head_change_nothing_on_any_page(app, signed_in, partner):
    ours = their_things(app, partner)
    before = snapshot(app)
    changed = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint in BOOKKEEPING_GETS:
            continue
        url = fill(rule, ours) if not {"raw"} & rule.arguments else rule.rule.replace("<raw>", "x" * 43)
        for method in ("GET", "HEAD"):
            # What a forged cross-site form would carry, but no CSRF token.
            signed_in.open(url, method=method, data=FORM)
            if snapshot(app) != before:
                changed.append(f"{method} {url}")
                before = snapshot(app)
    assert not changed, "\n".join(changed)


def test_head_on_a_tags_delete_page_leaves_the_tag(app, signed_in, partner):
    tag_id = make_tag(app, partner, "VIP")
    response = signed_in.head(f"/tags/{tag_id}/delete")
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Tag, tag_id) is not None


# -- integers ---------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["²", "١٢", "-1", "1.0", " 1", "1 ", "0x1", "99999999999999999999",
                                 "2147483648", "", None, "1" * 5000])
def test_only_ascii_digits_within_int4_are_an_integer(raw):
    assert int_value(raw) is None


def test_int_value_keeps_its_range():
    assert int_value("0") == 0 and int_value("0", low=1) is None
    assert int_value("2147483647") == 2147483647 and int_value("007") == 7


@pytest.mark.parametrize("raw", ["²", "١٢", "99999999999999999999", "2147483648", "0", "1" * 30])
def test_an_id_in_a_path_that_is_not_one_is_not_found(signed_in, raw):
    for path in (f"/customers/{raw}", f"/customers/{raw}/users", f"/tags/{raw}/edit"):
        assert signed_in.get(path).status_code == 404, path


@pytest.mark.parametrize("raw", ["²", "١٢", "99999999999999999999", "2147483648", "123456789012345678"])
def test_a_cursor_that_is_not_an_id_is_ignored(signed_in, partner, app, raw):
    their_things(app, partner)
    for url in (f"/customers?after={raw}", f"/customers?before={raw}", f"/tags/history?before={raw}"):
        response = signed_in.get(url)
        assert response.status_code == 200, url
    assert "client 0" in signed_in.get(f"/customers?after={raw}").text  # the first page, as if absent


@pytest.mark.parametrize("raw", ["²", "١٢", "99999999999999999999"])
def test_a_profile_version_that_is_not_a_number_is_a_bad_request(app, signed_in, partner, raw):
    customer_id = their_things(app, partner)["customer_id"]
    token = csrf_token(signed_in.get(f"/customers/{customer_id}/edit").text)
    response = signed_in.post(f"/customers/{customer_id}/edit", data={**FORM, "version": raw, "csrf_token": token})
    assert response.status_code == 400


@pytest.mark.parametrize("raw", ["²", "١٢"])
def test_row_numbers_that_are_not_ascii_are_refused_or_ignored(signed_in, raw):
    flow = Flow(signed_in)
    flow.to_users()
    tokens = flow.tokens()
    row = {"users-0-name": "Ann", "users-0-email": "ann@example.com"}
    response = signed_in.post("/customers/new/users", data={**tokens, **row, "action": f"remove-{raw}"})
    assert response.status_code == 400
    response = signed_in.post("/customers/new/users", data={
        **tokens, "action": "add", f"users-{raw}-email": "x@example.com"})
    assert response.status_code == 400  # not a field of this step
    csrf = tokens["csrf_token"]
    response = signed_in.post("/customers/new/users", data={**tokens, **row, "action": "create"})
    customer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    response = signed_in.post(f"/customers/{customer_id}/users/new", data={
        "csrf_token": csrf, "action": "add", "users-0-name": "Bo", f"users-{raw}-email": "x@example.com"})
    assert response.status_code == 200 and "x@example.com" not in response.text


# -- the input guard ------------------------------------------------------------------

@pytest.mark.parametrize("query", ["q=a%00b", "tag=a%00b", "q=%FF", "q=%C3%28", "a%00=1", "%FF=1", "tag-name=%00"])
def test_a_nul_byte_or_bytes_that_are_not_utf8_in_a_query_are_a_bad_request(app, signed_in, partner, query):
    customer_id = their_things(app, partner)["customer_id"]
    for path in ("/customers", f"/customers/{customer_id}/tags/suggestions", "/login", "/portal/login"):
        response = signed_in.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert "Bad request" in response.text


def test_a_nul_byte_in_a_form_is_a_bad_request_before_the_view_runs(app, client, partner):
    token = csrf_token(client.get("/login").text)
    for body in (f"csrf_token={token}&email=a%00b%40example.com&password=x",
                 f"csrf_token={token}&email=ann%40example.com&password=%FF",
                 f"csrf_token={token}&email%00=x&password=x"):
        for path in ("/login", "/portal/login", "/portal/forgot-password"):
            response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
            assert response.status_code == 400, (path, body)


def test_a_partial_request_with_a_nul_byte_gets_its_message_in_the_alerts(signed_in):
    response = signed_in.get("/customers?q=a%00b", headers=PARTIAL)
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#alerts"


def test_text_that_is_only_unusual_still_goes_through(signed_in):
    for query in ("q=%E2%80%A8", "q=%EF%BF%BD", "q=%25FF", "q=caf%C3%A9"):
        assert signed_in.get(f"/customers?{query}").status_code == 200, query


# -- next -------------------------------------------------------------------------

NASTY_NEXT = [
    "//evil.com", "/\t/evil.com", "/\n/evil.com", "/\r/evil.com", "/x\n", "/x\r\nSet-Cookie: a=b",
    "\\\\evil.com", "/\\evil.com", "\\/evil.com", "https://evil.com", "http:evil.com", "javascript:alert(1)",
    " //evil.com", "//evil.com ", "/\x00/evil.com", "\x01//evil.com", "/\x7f/evil.com", "evil.com", "",
    "///evil.com", "https:/\\evil.com",
]


@pytest.mark.parametrize("target", NASTY_NEXT)
def test_safe_next_refuses_anything_a_browser_could_read_as_another_host(target):
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize(("target", "kept"), [
    ("/customers?q=harbor", "/customers?q=harbor"), ("/customers/1/users", "/customers/1/users"),
    ("/a\\b", "/a/b"), ("/customers?q=a b", "/customers?q=a b"),
])
def test_safe_next_keeps_a_path_on_this_host(target, kept):
    assert safe_next(target, "/home") == kept


@pytest.mark.parametrize("target", ["/%09/evil.com", "/%0a/evil.com", "/x%0a", "/x%0d%0aX:%20y", "%5C%5Cevil.com",
                                    "/%5Cevil.com", "%2F%2Fevil.com", "https:%2F%2Fevil.com", "%20//evil.com"])
def test_signing_in_with_a_nasty_next_lands_on_the_overview(client, partner, target):
    page = client.get(f"/login?next={target}")
    response = client.post(f"/login?next={target}", data={
        "email": partner.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/overview"


def test_a_next_holding_a_nul_byte_is_refused_before_sign_in(client):
    assert client.get("/login?next=/%00").status_code == 400


def test_portal_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(app, partner):
    their_things(app, partner)
    with app.app_context():
        for account in db.session.scalars(db.select(PortalAccount)):
            account.set_password(GOOD_PASSWORD)
        db.session.commit()
    email = f"zed{partner.partner_id}@example.com"
    for asked, lands in (("/portal/login?next=/%09/evil.com", "/portal"), (None, "/portal/choose")):
        portal = app.test_client()
        if asked is None:
            asked = portal.get("/portal/choose").headers["Location"]
            assert asked == "/portal/login?next=/portal/choose"
        page = portal.get(asked)
        response = portal.post(asked, data={"email": email, "password": GOOD_PASSWORD,
                                            "csrf_token": csrf_token(page.text)})
        assert response.status_code == 303 and response.headers["Location"] == lands


# -- proxies and HSTS ------------------------------------------------------------------

PROBE = """
from flask import request
from flask_limiter.util import get_remote_address  # what the limiter keys on
@app.get("/_probe")
def probe():
    return {"addr": request.remote_addr, "scheme": request.scheme, "key": get_remote_address()}
forged = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
report({
    "probe": client.get("/_probe", headers=forged, environ_base={"REMOTE_ADDR": "10.0.0.2"}).get_json(),
    "hsts": [client.get(path).headers.get("Strict-Transport-Security") for path in ("/login", "/no-such-page")],
})
"""


def test_behind_one_trusted_proxy_the_client_address_is_the_forwarded_one_and_hsts_is_sent(tmp_path):
    answer = run_fresh_app(PROBE, APP_ENV="production", SECRET_KEY="s" * 40, BASE_URL="https://ar.example.com",
                           TRUSTED_PROXIES="1", DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    assert answer["probe"] == {"addr": "203.0.113.7", "scheme": "https", "key": "203.0.113.7"}
    assert answer["hsts"] == ["max-age=63072000; includeSubDomains"] * 2  # over plain HTTP too


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored_and_no_hsts_outside_production(tmp_path):
    answer = run_fresh_app(PROBE, APP_ENV="development", TRUSTED_PROXIES="",
                           DATABASE_URL=f"sqlite:///{tmp_path / 'dev.sqlite3'}")
    assert answer["probe"] == {"addr": "10.0.0.2", "scheme": "http", "key": "10.0.0.2"}
    assert answer["hsts"] == [None, None]


@pytest.mark.parametrize("raw", ["-1", "one", "1.5", "²", "١", "999"])
def test_trusted_proxies_must_be_a_small_whole_number(monkeypatch, tmp_path, raw):
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("TRUSTED_PROXIES", raw)
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_config(str(tmp_path))


def test_trusted_proxies_defaults_to_none(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    assert load_config(str(tmp_path))["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("TRUSTED_PROXIES", " 2 ")
    assert load_config(str(tmp_path))["TRUSTED_PROXIES"] == 2
