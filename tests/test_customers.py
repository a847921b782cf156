"""All Customers: the table, search, paging, and one partner never seeing another's."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from api_helpers import make_key_row
from customer_helpers import (
    load_customer,
    make_billing_things,
    make_customer,
    make_draft_invoice,
    make_tag,
    tag_customers,
)
from sqlalchemy import event, insert, select

from conftest import csrf_token
from extensions import db
from models import Customer, CustomerUser, Partner
from models.customer import derived_columns
from services import search

PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}


def add_customers(app, partner_id: int, rows: list[dict]) -> list[int]:
    """Write customers straight to the database, as an import would."""
    base = {"legal_name": None, "ein": None, "address": "1 Main St", "city": "Austin",
            "state": "TX", "postal_code": "78701", "country": "US"}
    with app.app_context():
        values = []
        for row in rows:
            row = {**base, **row}
            values.append({**row, "partner_id": partner_id,
                           **derived_columns(row["company"])})
        ids = db.session.scalars(
            insert(Customer).returning(Customer.id, sort_by_parameter_order=True), values
        ).all()
        db.session.execute(insert(CustomerUser), [
            {"customer_id": cid, "name": "Ann", "email": f"ann{cid}@example.com",
             "email_key": f"ann{cid}@example.com"} for cid in ids
        ])
        search.add_to_index([word for cid, row in zip(ids, values, strict=True)
                             for word in search.word_rows(partner_id, cid, row)])
        db.session.commit()
        return list(ids)


def companies(html: str) -> list[str]:
    return re.findall(r'<td><a href="/customers/\d+">([^<]+)</a></td>', html)


def link(html: str, rel: str) -> str | None:
    match = re.search(rf'<a [^>]*rel="{rel}"[^>]*>', html)
    if not match:
        return None
    return re.search(r'href="([^"]+)"', match.group(0)).group(1).replace("&amp;", "&")


# -- the table -------------------------------------------------------------------

def test_empty_list_leads_to_add_customer(signed_in):
    page = signed_in.get("/customers").text
    assert "No customers yet" in page
    empty_state = page.split('class="empty-state"')[1].split("</div>")[0]
    assert 'href="/customers/new"' in empty_state and "Add customer" in empty_state
    assert 'rel="next"' not in page and 'rel="prev"' not in page


def test_list_shows_each_customers_company_legal_name_place_users_and_created_date(app, signed_in, partner):
    (alpha,) = add_customers(app, partner.partner_id, [{"company": "Alpha Co", "legal_name": "Alpha Co LLC"}])
    add_customers(app, partner.partner_id, [
        {"company": "Beta Inc", "city": "Toronto", "state": "ON", "postal_code": "M5V 2T6", "country": "CA"},
    ])
    with app.app_context():
        db.session.execute(insert(CustomerUser), [
            {"customer_id": alpha, "name": n, "email": f"{n}@example.com", "email_key": f"{n}@example.com"}
            for n in ("bo", "cy")
        ])
        db.session.commit()
        created = db.session.get(Customer, alpha).created_at
    page = signed_in.get("/customers").text
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S)[1:]  # after the header row
    alpha_row, beta_row = (re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows)
    created = created.replace(tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))  # the partner's day
    created_text = f"{created:%b} {created.day}, {created.year}"
    # No tags yet: no tick boxes (bulk tagging needs a tag).
    assert alpha_row == f"Alpha Co Alpha Co LLC Austin, TX, US 3 {created_text}"
    assert beta_row.startswith("Beta Inc Toronto, ON, CA 1 ")
    assert 'name="customer_id"' not in page and "bulk-bar" not in page
    for heading in ("Company", "Legal name", "Location", "Users", "Created"):
        assert re.search(rf'<th scope="col"[^>]*>{heading}</th>', page)
    assert ">Tags</th>" not in page  # the partner has no tags yet: no empty column
    assert "Accounts Receivable" in page and "All Customers" in page
    assert 'href="/customers/new"' in page  # the Add customer button, above the table too


def test_the_day_a_customer_was_added_is_the_partners_day(app, signed_in, partner):
    """Stored in UTC, shown in the partner's time zone (America/New_York by default): a customer
    added at 9:30 pm in New York on March 9 was added on March 9, though it was already
    March 10 in UTC. Its page's header says so too, and a partner in Tokyo sees March 10."""
    (customer_id,) = add_customers(app, partner.partner_id, [{"company": "Late Co"}])
    with app.app_context():
        db.session.get(Customer, customer_id).created_at = datetime(2026, 3, 10, 1, 30)
        db.session.commit()
    assert re.search(r'<time datetime="2026-03-10T01:30:00Z">Mar 9, 2026</time>', signed_in.get("/customers").text)
    header = signed_in.get(f"/customers/{customer_id}").text
    assert re.search(r'Added <time datetime="2026-03-10T01:30:00Z">Mar 9, 2026</time>', header)
    with app.app_context():
        db.session.get(Partner, partner.partner_id).time_zone = "Asia/Tokyo"
        db.session.commit()
    assert re.search(r'<time datetime="2026-03-10T01:30:00Z">Mar 10, 2026</time>', signed_in.get("/customers").text)


def test_list_is_sorted_by_company_ignoring_case_and_accents(app, signed_in, partner):
    add_customers(app, partner.partner_id, [
        {"company": "zeta Labs"}, {"company": "Beta Inc"}, {"company": "alpha Co"}, {"company": "ALPHA Bakery"},
        # "ß" folds to "ss", and accents are set aside: "Öko" sorts among the Os, "Émile" among the Es.
        {"company": "Straße Motors"}, {"company": "STRASSE Dental"}, {"company": "öko Farm"}, {"company": "Öko Bank"},
        {"company": "Émile Bakery"}, {"company": "Oak Partners"},
    ])
    assert companies(signed_in.get("/customers").text) == [
        "ALPHA Bakery", "alpha Co", "Beta Inc", "Émile Bakery", "Oak Partners", "Öko Bank", "öko Farm",
        "STRASSE Dental", "Straße Motors", "zeta Labs",
    ]


def test_company_names_are_escaped(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": "<script>alert(1)</script>"}])
    page = signed_in.get("/customers").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# -- search ----------------------------------------------------------------------

SEARCHABLE = [
    {"company": "Blue Harbor Dental", "legal_name": "Harbor Dental LLC", "ein": "91-1144442"},
    {"company": "Cedar Logistics", "city": "Seattle", "state": "WA", "postal_code": "98101"},
    {"company": "100% Uptime"},
    {"company": "1000 Islands Co"},  # what "100%" would find if % were a wildcard
    {"company": "snake_case Labs"},
    {"company": "Blue Cedar Co"},  # what "e_c" would find if _ were a wildcard
    {"company": "Café Québec", "city": "Montréal", "state": "QC", "postal_code": "H2Y 1C6", "country": "CA"},
    {"company": "Straße Motors"},
]


# Every typed word is the start of a word of the company, legal name or city, or of the EIN's
# digits (issue 16): a word's inside ("1144" of an EIN, "e_c" across words) no longer matches.
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("harbor", ["Blue Harbor Dental"]),
        ("harb", ["Blue Harbor Dental"]),  # the start of a word
        ("dental harb", ["Blue Harbor Dental"]),  # in any order
        ("HARBOR dental llc", ["Blue Harbor Dental"]),  # the legal name
        ("91-1144442", ["Blue Harbor Dental"]),
        ("911144442", ["Blue Harbor Dental"]),  # the EIN without its hyphen
        ("91-114", ["Blue Harbor Dental"]),  # the start of the EIN, typed either way
        ("91114", ["Blue Harbor Dental"]),
        ("1144", []),  # the inside of an EIN
        ("seattle", ["Cedar Logistics"]),  # the city
        ("SEATTLE", ["Cedar Logistics"]),
        ("cedar", ["Blue Cedar Co", "Cedar Logistics"]),
        ("100%", ["100% Uptime", "1000 Islands Co"]),  # punctuation separates words: "100"
        ("0%", []),
        ("e_c", []),  # "e" and "c": no word starts with "e" here
        ("snake_c", ["snake_case Labs"]),  # "snake" and "c"
        ("_", []),  # no word at all: nothing matches
        ("%", []),
        ("MONTRÉAL", ["Café Québec"]),
        ("montreal", ["Café Québec"]),  # accents aside
        ("québec", ["Café Québec"]),
        ("strasse", ["Straße Motors"]),
        ("  harbor  ", ["Blue Harbor Dental"]),
        ('"harbor"', ["Blue Harbor Dental"]),  # quotes are punctuation
        ("harbour", []),
        ("arbor", []),  # the inside of a word
    ],
)
def test_search_covers_company_legal_name_ein_and_city(app, signed_in, partner, query, expected):
    add_customers(app, partner.partner_id, SEARCHABLE)
    response = signed_in.get("/customers", query_string={"q": query})
    assert response.status_code == 200
    assert companies(response.text) == expected


def test_search_without_results_says_so_and_offers_to_clear_it(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": "Blue Harbor Dental"}])
    page = signed_in.get("/customers?q=nothing-like-this").text
    assert "No customers match" in page and "nothing-like-this" in page
    assert "No customers yet" not in page
    assert "Clear the search" in page


def test_search_is_a_plain_get_that_can_be_bookmarked(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": "Blue Harbor Dental"}, {"company": "Cedar"}])
    page = signed_in.get("/customers?q=harbor").text
    assert "<html" in page and 'name="q" value="harbor"' in page
    assert re.search(r'<form[^>]*method="get"[^>]*action="/customers"', page)
    assert companies(page) == ["Blue Harbor Dental"]


def test_active_search_is_debounced_and_updates_the_address(signed_in):
    page = signed_in.get("/customers").text
    search = re.search(r'<input[^>]*id="search-q"[^>]*>', page, re.S).group(0)
    assert 'hx-get="/customers"' in search and 'hx-target="#customer-results"' in search
    assert re.search(r'hx-trigger="input changed delay:\d+ms', search)
    assert 'hx-replace-url="true"' in search or 'hx-push-url="true"' in search


def test_active_search_returns_only_the_results_fragment(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": "Blue Harbor Dental"}, {"company": "Cedar"}])
    response = signed_in.get("/customers?q=blue", headers=PARTIAL)
    fragment = response.text
    assert fragment.lstrip().startswith('<section id="customer-results"')
    assert fragment.rstrip().endswith("</section>")
    assert "<html" not in fragment and 'id="search-q"' not in fragment and "sidenav" not in fragment
    assert companies(fragment) == ["Blue Harbor Dental"]
    assert "HX-Request-Type" in response.headers["Vary"]  # a cache never serves one for the other


def test_htmx_requests_that_are_not_partial_get_the_whole_page(app, signed_in, partner):
    # htmx 4 flags boosted and history-restore requests with HX-Request too: they want the whole page.
    add_customers(app, partner.partner_id, [{"company": "Blue Harbor Dental"}])
    for headers in ({"HX-Request": "true"}, {"HX-Request": "true", "HX-Request-Type": "full"}):
        page = signed_in.get("/customers?q=blue", headers=headers).text
        assert page.lstrip().lower().startswith("<!doctype html>")
        assert 'id="search-q"' in page and companies(page) == ["Blue Harbor Dental"]


def test_an_overlong_search_is_cut_short_not_refused(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": "Blue Harbor Dental"}])
    response = signed_in.get("/customers", query_string={"q": "harbor" + "x" * 5000})
    assert response.status_code == 200
    assert companies(response.text) == []


# -- paging ----------------------------------------------------------------------

def walk(client, url: str, rel: str) -> list[list[str]]:
    """The pages met following rel links from url, the first included."""
    pages = []
    while url:
        html = client.get(url).text
        pages.append(companies(html))
        url = link(html, rel)
        assert len(pages) < 20, "the pager does not end"
    return pages


def test_pages_move_forward_and_back_by_keyset(app, signed_in, partner):
    names = [f"Company {n:03d}" for n in range(60)]
    add_customers(app, partner.partner_id, [{"company": name} for name in reversed(names)])
    forward = walk(signed_in, "/customers", "next")
    assert [len(p) for p in forward] == [25, 25, 10]
    assert sum(forward, []) == names
    first = signed_in.get("/customers").text
    assert link(first, "prev") is None  # nothing before the first page
    last_url = link(signed_in.get(link(first, "next")).text, "next")
    backward = walk(signed_in, last_url, "prev")
    assert backward == list(reversed(forward))
    # The first page reached by going back offers no way further back.
    assert link(signed_in.get(link(signed_in.get(link(signed_in.get(last_url).text, "prev")).text, "prev")).text,
                "prev") is None


def test_paging_through_equal_company_names_skips_and_repeats_nobody(app, signed_in, partner):
    ids = add_customers(app, partner.partner_id, [{"company": "Same Name"} for _ in range(30)]
                        + [{"company": "same name"} for _ in range(30)])
    seen = []
    url = "/customers"
    while url:
        html = signed_in.get(url).text
        seen += [int(i) for i in re.findall(r'<td><a href="/customers/(\d+)">', html)]
        url = link(html, "next")
    assert sorted(seen) == sorted(ids) and len(seen) == 60


def test_paging_keeps_the_search(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": f"Dental {n:02d}"} for n in range(30)]
                  + [{"company": "Other"}])
    page = signed_in.get("/customers?q=dental").text
    next_url = link(page, "next")
    assert "q=dental" in next_url
    second = signed_in.get(next_url).text
    assert companies(second) == [f"Dental {n:02d}" for n in range(25, 30)]
    assert "q=dental" in link(second, "prev")
    assert companies(signed_in.get(link(second, "prev")).text) == [f"Dental {n:02d}" for n in range(25)]


def test_paging_with_htmx_keeps_to_the_fragment(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": f"Company {n:03d}"} for n in range(30)])
    url = link(signed_in.get("/customers").text, "next")
    fragment = signed_in.get(url, headers=PARTIAL).text
    assert "<html" not in fragment and companies(fragment)[0] == "Company 025"


@pytest.mark.parametrize("cursor", ["abc", "-1", "9" * 40, "", "1.5", "0"])
def test_odd_cursors_show_the_first_page(app, signed_in, partner, cursor):
    add_customers(app, partner.partner_id, [{"company": "Only One"}])
    for param in ("after", "before"):
        response = signed_in.get("/customers", query_string={param: cursor})
        assert response.status_code == 200
        assert companies(response.text) == ["Only One"]


# -- tenant isolation -------------------------------------------------------------

def test_partner_never_sees_or_finds_another_partners_customers(app, signed_in, partner, other_partner):
    (theirs,) = add_customers(app, other_partner.partner_id, [
        {"company": "Rival Secret Client", "legal_name": "Rival Secret LLC", "ein": "12-3456789", "city": "Boise"}])
    add_customers(app, partner.partner_id, [{"company": "My Client"}])
    assert companies(signed_in.get("/customers").text) == ["My Client"]
    for q in ("rival", "secret llc", "12-3456789", "123456789", "boise", "r", "%", "_"):
        page = signed_in.get("/customers", query_string={"q": q}).text
        assert "Rival" not in page, q
        assert "Rival" not in signed_in.get("/customers", query_string={"q": q}, headers=PARTIAL).text, q
    assert signed_in.get(f"/customers/{theirs}").status_code == 404


def test_another_partners_customer_page_is_404_not_403(app, signed_in, other_partner):
    (theirs,) = add_customers(app, other_partner.partner_id, [{"company": "Rival Secret Client"}])
    response = signed_in.get(f"/customers/{theirs}")
    assert response.status_code == 404
    assert "Rival Secret Client" not in response.text
    # Exactly what an id that does not exist gets.
    missing = signed_in.get("/customers/999999")
    assert missing.status_code == 404 and missing.text == response.text


def test_another_partners_customer_id_as_a_page_cursor_leaks_nothing(app, signed_in, partner, other_partner):
    # Their customer sorts in the middle of ours: as a cursor it would cut our list there.
    (theirs,) = add_customers(app, other_partner.partner_id, [{"company": "Mmm Rival"}])
    add_customers(app, partner.partner_id, [{"company": "Aardvark"}, {"company": "Zebra"}])
    for param in ("after", "before"):
        for headers in ({}, PARTIAL):
            html = signed_in.get(f"/customers?{param}={theirs}", headers=headers).text
            assert companies(html) == ["Aardvark", "Zebra"]
            assert "Rival" not in html and 'rel="prev"' not in html


def their_things(app, staff, n: int = 0) -> dict:
    """A customer with a user and a tag, as a partner makes them."""
    customer = make_customer(app, staff, company=f"{staff.name} client {n}", ein=None,
                             users=(("Zed Zee", f"zed{staff.partner_id}@example.com"),))
    tag = make_tag(app, staff, f"VIP {n}")
    tag_customers(app, staff, tag, [customer])
    return {"customer_id": customer, "user_id": load_customer(app, customer).users[0].id, "tag_id": tag,
            "invoice_id": make_draft_invoice(app, staff, customer), "key_id": make_key_row(app, staff),
            **make_billing_things(app, staff, customer)}


# The sign-in pages, the customers' portal, the JSON API (tests/test_api.py: its keys, not a
# session), the public files, and the sandbox processor's forms (they stand for the processor's
# own site: tests/test_payment_methods.py covers them).
NOT_THE_DASHBOARD = ("static", "favicon", "auth", "portal", "portal_invoices", "portal_payment_methods",
                     "portal_payments", "api", "openapi", "sandbox_processor")


def dashboard_rules(app):
    """Every route of the partner dashboard (NOT_THE_DASHBOARD aside)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.split(".")[0] in NOT_THE_DASHBOARD:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def fill(rule, ids: dict) -> str:
    """rule's URL with the given ids, and a plausible value for other parts."""
    values = {}
    for arg in rule.arguments:
        if arg in ids:
            values[arg] = ids[arg]
        elif arg == "index":
            values[arg] = 0
        elif arg == "change":
            values[arg] = "archive"
        elif arg == "name":
            values[arg] = "email" if "user" in rule.rule else "company"
        else:
            raise AssertionError(f"{rule.rule}: a new kind of id ({arg}); add it to their_things()")
    return rule.build(values, append_unknown=False)[1]


# What a form might carry, so that no view stops at validation before looking its ids up.
FORM = {"company": "Mine now", "address": "1 Main St", "city": "Austin", "state": "TX", "postal_code": "78701",
        "country": "US", "version": "1", "users-0-name": "Eve", "users-0-email": "eve@example.com",
        "name": "Mine now", "email": "eve@example.com", "color": "red", "tag-name": "VIP", "action": "create"}


def snapshot(app) -> dict:
    """Every row of every table."""
    with app.app_context():
        return {
            table.name: sorted(map(tuple, db.session.execute(select(table)).all()), key=repr)
            for table in db.metadata.sorted_tables
        }


def request_as(client, method: str, url: str, token: str):
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data=FORM, headers={"X-CSRFToken": token})


def test_no_route_that_takes_an_id_reaches_another_partners_data(app, signed_in, partner, other_partner):
    """Every dashboard route with an id, now and in later issues: their ids are 404, and change nothing.

    Each id of a route is tried as theirs with the others ours, and all of them theirs;
    then all ours, which must be found, so the check cannot pass by the route failing anyway.
    """
    theirs = their_things(app, other_partner)
    token = csrf_token(signed_in.get("/customers").text)
    leaks, checked = [], 0
    for rule, method in dashboard_rules(app):
        ids = [arg for arg in rule.arguments if arg.endswith("_id")]
        if not ids:
            continue
        checked += 1
        ours = their_things(app, partner, checked)  # fresh each time: the last step may change them
        before = snapshot(app)
        variants = [{**ours, arg: theirs[arg]} for arg in ids] + [theirs]
        for variant in variants:
            url = fill(rule, variant)
            status = request_as(signed_in, method, url, token).status_code
            if status != 404:
                leaks.append(f"{method} {url}: {status}, not 404")
        if snapshot(app) != before:
            leaks.append(f"{method} {rule.rule}: another partner's ids changed the data")
        own = fill(rule, ours)
        status = request_as(signed_in, method, own, token).status_code
        if status == 404:
            leaks.append(f"{method} {own}: the partner's own ids are 404 too, so this check proves nothing")
    assert checked >= 20  # the customer page, its users and tags, the tags pages
    assert not leaks, "\n".join(leaks)


def test_anonymous_visitors_are_sent_to_sign_in_from_every_dashboard_page(app, client):
    token = csrf_token(client.get("/login").text)  # a real token: the sign-in check is what stops them
    before = snapshot(app)
    wrong = []
    for rule, method in dashboard_rules(app):
        url = fill(rule, {arg: 1 for arg in rule.arguments if arg.endswith("_id")})  # signed out: any id
        response = request_as(client, method, url, token)
        location = response.headers.get("Location", "")
        if response.status_code != 302 or not location.startswith("/login?next="):
            wrong.append(f"{method} {url}: {response.status_code} {location}")
    assert not wrong, "\n".join(wrong)
    assert snapshot(app) == before
    assert client.get("/").headers["Location"] == "/overview"


def test_sign_in_sends_the_partner_back_to_the_page_they_asked_for(app, client, partner):
    response = client.get("/customers?q=harbor")
    assert response.headers["Location"] == "/login?next=%2Fcustomers%3Fq%3Dharbor"
    page = client.get(response.headers["Location"])
    signed = client.post(response.headers["Location"], data={
        "email": partner.email, "password": "correct horse battery staple", "csrf_token": csrf_token(page.text)})
    assert signed.headers["Location"] == "/customers?q=harbor"


def test_a_partial_request_after_the_session_ended_loads_sign_in_as_a_whole_page(client):
    # fetch would follow a redirect and htmx would put the sign-in page inside the list.
    response = client.get("/customers?q=har", headers={
        **PARTIAL, "HX-Current-URL": "http://localhost/customers?q=ha"})
    assert response.status_code == 401 and response.text == ""
    assert response.headers["HX-Redirect"] == "/login?next=%2Fcustomers%3Fq%3Dha"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    # A blur check is a POST: sign-in leads back to the page it was made from, not to the check.
    token = csrf_token(client.get("/login").text)
    check = client.post("/customers/new/check/company", data={"company": "x"}, headers={
        **PARTIAL, "X-CSRFToken": token, "HX-Current-URL": "http://localhost/customers/new"})
    assert check.status_code == 401 and check.headers["HX-Redirect"] == "/login?next=%2Fcustomers%2Fnew"
    # Another site's address is never a way back.
    elsewhere = client.get("/customers", headers={**PARTIAL, "HX-Current-URL": "https://evil.example.com/x"})
    assert elsewhere.headers["HX-Redirect"] == "/login?next=%2Fcustomers"


# -- what a page costs ----------------------------------------------------------------

LIST_TABLES = re.compile(r"\b(customers|customer_tags|customer_words|tags)\b", re.I)


def list_statements(app, client, url: str) -> tuple[str, list[str]]:
    """The page at url, and the SQL statements it ran that read the list's tables.

    How: a before_cursor_execute listener on the engine records every statement of the
    request; those naming customers, customer_tags, customer_words or tags are the view's
    own. What every signed-in page pays besides (the login's staff user and the partner's name
    for the top bar, when the worker has not read them in the last 5 s) reads staff_users and partners only,
    so it is left out by the filter rather than by subtracting a second page's count."""
    seen = []
    with app.app_context():
        listener = lambda _conn, _cursor, statement, *_rest: seen.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            html = client.get(url).text
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    return html, [statement for statement in seen if LIST_TABLES.search(statement)]


def test_a_page_costs_the_same_few_queries_whatever_its_size(app, signed_in, partner):
    tags = [make_tag(app, partner, name) for name in ("Managed", "Net 30", "VIP")]

    def queries_for_a_page_of(count: int, start: int) -> dict[str, int]:
        ids = add_customers(app, partner.partner_id, [{"company": f"Harbor Co {start + n:03d}"} for n in range(count)])
        for tag in tags:
            tag_customers(app, partner, tag, ids)
        cursor = ids[0]
        costs = []
        for url in ("/customers", "/customers?q=harb", "/customers?q=harbor+co", "/customers?tag=VIP",
                    f"/customers?after={cursor}&start=2", f"/customers?before={ids[-1]}&start=2",
                    "/customers?archived=1&tag=Managed&q=co", "/customers?q=zzz"):
            signed_in.get(url)  # the first visit also stores the session's CSRF token
            html, statements = list_statements(app, signed_in, url)
            if url == "/customers":
                assert html.count(">VIP</a>") == min(5 + start, 25), url  # every row's chips
            costs.append((url.split("?")[-1].split("=")[0], len(statements)))
        return costs

    five = queries_for_a_page_of(5, 0)
    twenty_five = queries_for_a_page_of(25, 100)
    assert twenty_five == five
    assert max(cost for _, cost in five) <= 2, five  # the tags, then the page with its chips and count


def test_the_count_is_exact_up_to_a_thousand_then_more_than(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": f"Harbor {n:04d}"} for n in range(1000)])
    page = signed_in.get("/customers").text
    assert "1,000 customers" in page and "More than" not in page
    assert "Showing 1–25" in page
    assert "1,000 customers match “harb”" in signed_in.get("/customers?q=harb").text
    add_customers(app, partner.partner_id, [{"company": "Zed Harbor"}])
    assert "More than 1,000 customers" in signed_in.get("/customers").text
    assert "More than 1,000 customers match “harbor”" in signed_in.get("/customers?q=harbor").text
    assert "1 customer matches “zed”" in signed_in.get("/customers?q=zed").text


def test_previous_and_next_carry_the_position_for_the_range(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": f"Company {n:03d}"} for n in range(60)])
    first = signed_in.get("/customers").text
    assert "60 customers" in first and "Showing 1–25" in first
    second = signed_in.get(link(first, "next")).text
    assert "start=26" in link(first, "next") and "Showing 26–50" in second
    third = signed_in.get(link(second, "next")).text
    assert "Showing 51–60" in third and link(third, "next") is None
    back = signed_in.get(link(third, "prev")).text
    assert "Showing 26–50" in back and companies(back) == companies(second)
    assert "Showing 1–25" in signed_in.get(link(back, "prev")).text


@pytest.mark.parametrize("start", ["", "1", "abc", "-5", "999", "0"])
def test_a_position_that_does_not_fit_is_left_out_not_believed(app, signed_in, partner, start):
    ids = add_customers(app, partner.partner_id, [{"company": f"Company {n:03d}"} for n in range(60)])
    page = signed_in.get(f"/customers?after={ids[24]}&start={start}").text
    assert companies(page)[0] == "Company 025"  # the page itself never depends on it
    assert "Showing" not in page
    assert "start=" not in (link(page, "next") or "") and "start=" not in (link(page, "prev") or "")


@pytest.mark.parametrize(("url", "heading"), [
    ("/customers", "All Customers"),
    ("/customers?archived=1", "Archived customers"),
    ("/customers?q=harbor", "Search results"),
])
def test_the_heading_says_which_view_it_is(app, signed_in, partner, url, heading):
    add_customers(app, partner.partner_id, [{"company": "Harbor Co"}])
    page = signed_in.get(url).text
    assert re.search(rf'<h1 id="list-heading">{heading}</h1>', page)
    assert f"<title>{heading} ·" in page
    fragment = signed_in.get(url, headers=PARTIAL).text  # active search: the heading out of band
    assert re.search(rf'<h1 id="list-heading" hx-swap-oob="true">{heading}</h1>', fragment)
