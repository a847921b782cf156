"""Every route, whatever a request carries: never a 5xx.

For every rule of the app, as a partner, as a portal user and anonymous, each path parameter,
each query parameter and each form field the view reads gets each of VALUES in turn (the rest of
the request as the app's own pages would send it, with a valid CSRF token), and once sent twice.
The fields come from the views (request.args / request.form) and from the forms the app's pages
render, so a new field or route is fuzzed without touching this file.
"""

import html
import inspect
import re
import sys
from urllib.parse import quote, urlencode, urlsplit

import pytest
from api_helpers import make_key_row
from customer_helpers import make_billing_things, make_customer, make_draft_invoice, make_tag, tag_customers
from sqlalchemy import select
from test_portal import GOOD_PASSWORD, emails_to, link_in, portal_login
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from conftest import CSRF_RE, Auth
from extensions import db, limiter
from models import CustomerUser, PortalAccount

VALUES = ["²", "١٢", "-1", "0", "99999999999999999999", "2147483648", "a\x00b", "\r\nX: y", "\u2028", "x" * 10240]
# Row numbers and row actions, as the Users rows name them.
ROW_KEYS = [f"users-{n}-{field}" for n in ("²", "١٢", "99999999999999999999", "-1") for field in ("name", "email")]
ROW_ACTIONS = [f"remove-{n}" for n in ("²", "١٢", "-1", "99999999999999999999", "2147483648", "")]

READS = re.compile(r"request\.(args|form)\.get(?:list)?\(\s*\"([^\"]+)\"")
FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
TARGET_RE = re.compile(r"\b(action|hx-post|hx-get)=\"([^\"]*)\"")
FIELD_RE = re.compile(r"<(input|select|textarea|button)\b([^>]*)>", re.S)
ATTR_RE = re.compile(r"([a-zA-Z:-]+)=\"([^\"]*)\"")


def view_reads(app, endpoint: str) -> dict[str, set[str]]:
    """{"args": names, "form": names} that the endpoint's module reads from the request."""
    source = inspect.getsource(sys.modules[app.view_functions[endpoint].__module__])
    found = {"args": set(), "form": set()}
    for where, name in READS.findall(source):
        found[where].add(name)
    return found


class Fields:
    """Per endpoint and method, the fields its pages send, with the values they send."""

    def __init__(self, app):
        self.adapter = app.url_map.bind("localhost")
        self.found: dict[tuple[str, str], dict[str, str]] = {}

    def read_page(self, url: str, page: str) -> None:
        for form_attrs, body in FORM_RE.findall(page):
            attrs = dict(ATTR_RE.findall(form_attrs))
            method = attrs.get("method", "get").upper()
            values = {}
            for _tag, field_attrs in FIELD_RE.findall(body):
                field = dict(ATTR_RE.findall(field_attrs))
                if "name" in field:
                    values.setdefault(html.unescape(field["name"]), html.unescape(field.get("value", "")))
            targets = {(method, attrs.get("action") or url)}
            targets |= {("POST" if kind == "hx-post" else "GET", target)
                        for kind, target in TARGET_RE.findall(body) if kind != "action"}
            for target_method, target in targets:
                try:
                    endpoint, _args = self.adapter.match(urlsplit(html.unescape(target)).path, target_method)
                except HTTPException:  # a link elsewhere, or a method the rule refuses
                    endpoint = None
                if endpoint:
                    self.found.setdefault((endpoint, target_method), {}).update(values)

    def of(self, endpoint: str, method: str) -> dict[str, str]:
        return self.found.get((endpoint, method), {})


def the_world(app, partner):
    """A customer with two users (one of them signed up to the portal) and a tag."""
    customer = make_customer(app, partner, company="Fuzz Co", ein=None,
                             users=(("Ann Lee", "ann@example.com"), ("Bob Ray", "bob@example.com")))
    tag = make_tag(app, partner, "VIP")
    tag_customers(app, partner, tag, [customer])
    with app.app_context():
        for account in db.session.scalars(select(PortalAccount)):
            account.set_password(GOOD_PASSWORD)
        db.session.commit()
        user_id = db.session.scalar(select(CustomerUser.id).where(CustomerUser.email == "bob@example.com"))
    link = link_in(app, emails_to(app, "bob@example.com")[-1])
    return {"customer_id": customer, "user_id": user_id, "tag_id": tag, "index": 0, "raw": link.rsplit("/", 1)[1],
            "invoice_id": make_draft_invoice(app, partner, customer), "key_id": make_key_row(app, partner),
            "change": "archive", **make_billing_things(app, partner, customer)}


def path_value(rule, arg: str, world: dict) -> str:
    if arg == "name":
        return "email" if "user" in rule.rule else "company"
    return str(world[arg])


def build(rule, values: dict[str, str]) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(r"<(?:[^:<>]+:)?" + re.escape(arg) + r">", quote(values[arg], safe=""), path)
    return path


@pytest.fixture
def no_rate_limits():
    limiter.enabled = False
    yield
    limiter.enabled = True


def test_no_route_answers_5xx_whatever_a_request_carries(app, partner, no_rate_limits):
    world = the_world(app, partner)
    staff, portal, anonymous = app.test_client(), app.test_client(), app.test_client()
    assert Auth(staff).login(partner.email).status_code == 303
    assert portal_login(portal, "ann@example.com").status_code == 303
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    fields = Fields(app)
    for client in (staff, portal, anonymous):
        for rule in rules:
            if "GET" in rule.methods:
                url = build(rule, {arg: path_value(rule, arg, world) for arg in rule.arguments})
                response = client.get(url)
                if response.status_code == 200 and response.mimetype == "text/html":  # not a PDF
                    fields.read_page(url, response.text)
    tokens = {id(staff): _token(staff, "/customers"), id(portal): _token(portal, "/portal"),
              id(anonymous): _token(anonymous, "/login")}

    failures, sent = [], 0

    def send(client, method, path, query=(), form=()):
        nonlocal sent
        sent += 1
        url = path + ("?" + urlencode(list(query)) if query else "")
        response = client.open(url, method=method, data=MultiDict(list(form)) if method == "POST" else None,
                               headers={"X-CSRFToken": tokens[id(client)]} if method == "POST" else {})
        if response.status_code >= 500:
            failures.append(f"{method} {url[:120]!r} form={[(k, v[:20]) for k, v in form][:12]}: "
                            f"{response.status_code}")
        return response

    for client in (staff, portal, anonymous):
        for rule in sorted(rules, key=_changes_the_most_last):
            good_path = {arg: path_value(rule, arg, world) for arg in rule.arguments}
            reads = view_reads(app, rule.endpoint)
            for method in sorted(rule.methods & {"GET", "HEAD", "POST"}):
                base_path = build(rule, good_path)
                for arg in rule.arguments:
                    for value in VALUES:
                        send(client, method, build(rule, {**good_path, arg: value}))
                if method == "HEAD":
                    send(client, method, base_path)
                    continue
                if method == "GET":
                    where, form = "query", {}
                    names = reads["args"] | set(fields.of(rule.endpoint, "GET"))
                else:
                    where, form = "form", {**fields.of(rule.endpoint, "POST"), "csrf_token": tokens[id(client)]}
                    names = reads["form"] | set(form)
                base = send(client, method, base_path, **{where: form.items()})
                if base.status_code in (302, 303, 401) and "login" in base.headers.get("Location", "") + \
                        base.headers.get("HX-Redirect", ""):
                    # Sent to sign in before the view runs: its fields are never read. Each value once,
                    # in every field at the same time, for what runs before the view.
                    for value in VALUES:
                        every = [*_without(form, *names), *((name, value) for name in names)]
                        send(client, method, base_path, **{where: every})
                    continue
                for field in sorted(names):
                    for value in VALUES:
                        send(client, method, base_path, **{where: [*_without(form, field), (field, value)]})
                    send(client, method, base_path, **{where: [*form.items(), (field, form.get(field, "1"))]})
                if method == "POST" and "action" in names:
                    for action in ROW_ACTIONS:
                        send(client, method, base_path, form=[*_without(form, "action"), ("action", action)])
                if method == "POST" and any(name.startswith("users-") for name in names):
                    for key in ROW_KEYS:
                        send(client, method, base_path, form=[*form.items(), (key, "Eve")])
    assert sent > 2000, sent  # every rule was reached with every value
    assert not failures, f"{len(failures)} of {sent} requests were 5xx:\n" + "\n".join(failures[:60])


def _without(form: dict, *names: str) -> list[tuple[str, str]]:
    return [(key, value) for key, value in form.items() if key not in names]


def _changes_the_most_last(rule) -> tuple:
    """Signing out, then deleting and removing, come last: the world stays whole for the rest."""
    return ("logout" in rule.endpoint, "delete" in rule.endpoint or "remove" in rule.endpoint, rule.rule)


def _token(client, url: str) -> str:
    match = CSRF_RE.search(client.get(url).text) or CSRF_RE.search(client.get("/login").text)
    return match.group(1)
