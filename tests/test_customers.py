"""All Customers: the table, search, paging, and one partner never seeing another's."""

import re

import pytest
from sqlalchemy import insert

from extensions import db
from models import Customer, CustomerUser
from models.customer import derived_columns

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
                           **derived_columns(row["company"], row["legal_name"], row["ein"], row["city"])})
        ids = db.session.scalars(
            insert(Customer).returning(Customer.id, sort_by_parameter_order=True), values
        ).all()
        db.session.execute(insert(CustomerUser), [
            {"customer_id": cid, "name": "Ann", "email": f"ann{cid}@example.com",
             "email_key": f"ann{cid}@example.com"} for cid in ids
        ])
        db.session.commit()
        return list(ids)


def companies(html: str) -> list[str]:
    return re.findall(r'<td><a href="/customers/\d+">([^<]+)</a></td>', html)


def test_empty_list_leads_to_add_customer(signed_in):
    page = signed_in.get("/customers").text
    assert "No customers yet" in page
    assert 'href="/customers/new"' in page


def test_list_shows_customers_sorted_by_company_ignoring_case(app, signed_in, partner):
    add_customers(app, partner.partner_id, [
        {"company": "zeta Labs"}, {"company": "Émile Bakery"}, {"company": "alpha Co", "legal_name": "Alpha Co LLC"},
        {"company": "Beta Inc", "city": "Toronto", "state": "ON", "postal_code": "M5V 2T6", "country": "CA"},
    ])
    page = signed_in.get("/customers").text
    assert companies(page) == ["alpha Co", "Beta Inc", "zeta Labs", "Émile Bakery"]
    assert "Alpha Co LLC" in page
    assert "Toronto, ON, CA" in page
    assert re.search(r'<td class="num">1</td>', page)  # number of users
    assert "Accounts Receivable" in page and "All Customers" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("harbor", ["Blue Harbor Dental"]),
        ("HARBOR dental llc", ["Blue Harbor Dental"]),  # legal name
        ("91-1144442", ["Blue Harbor Dental"]),
        ("911144442", ["Blue Harbor Dental"]),
        ("seattle", ["Cedar Logistics"]),
        ("100%", ["100% Uptime"]),
        ("_", []),
        ("montréal", ["Café Québec"]),
    ],
)
def test_search_covers_company_legal_name_ein_and_city(app, signed_in, partner, query, expected):
    add_customers(app, partner.partner_id, [
        {"company": "Blue Harbor Dental", "legal_name": "Harbor Dental LLC", "ein": "91-1144442"},
        {"company": "Cedar Logistics", "city": "Seattle", "state": "WA", "postal_code": "98101"},
        {"company": "100% Uptime"},
        {"company": "Café Québec", "city": "Montréal", "state": "QC", "postal_code": "H2Y 1C6", "country": "CA"},
    ])
    assert companies(signed_in.get("/customers", query_string={"q": query}).text) == expected


def test_search_without_results_says_so(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": "Blue Harbor Dental"}])
    page = signed_in.get("/customers?q=nothing-like-this").text
    assert "No customers match" in page and "nothing-like-this" in page


def test_active_search_returns_only_the_results_fragment(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": "Blue Harbor Dental"}, {"company": "Cedar"}])
    fragment = signed_in.get("/customers?q=blue", headers=PARTIAL).text
    assert fragment.lstrip().startswith('<section id="customer-results"')
    assert "<html" not in fragment
    assert companies(fragment) == ["Blue Harbor Dental"]
    # htmx 4 flags boosted and history-restore requests too: they get the whole page.
    full = signed_in.get("/customers?q=blue", headers={"HX-Request": "true"}).text
    assert "<html" in full


def test_search_box_is_bookmarkable_and_debounced(signed_in):
    page = signed_in.get("/customers?q=acme").text
    assert 'name="q" value="acme"' in page
    assert 'hx-replace-url="true"' in page and "delay:" in page


def test_pages_move_forward_and_back_by_keyset(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": f"Company {n:03d}"} for n in range(60)])
    first = signed_in.get("/customers").text
    assert companies(first)[0] == "Company 000" and len(companies(first)) == 25
    next_link = re.search(r'href="(/customers\?after=\d+)" rel="next"|rel="next" href="([^"]+)"', first)
    url = (next_link.group(1) or next_link.group(2)).replace("&amp;", "&")
    second = signed_in.get(url).text
    assert companies(second)[0] == "Company 025"
    third_url = re.search(r'rel="next" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    third = signed_in.get(third_url).text
    assert companies(third) == [f"Company {n:03d}" for n in range(50, 60)]
    assert 'rel="next"' not in third
    back_url = re.search(r'rel="prev" href="([^"]+)"', third).group(1).replace("&amp;", "&")
    assert companies(signed_in.get(back_url).text)[0] == "Company 025"


def test_paging_keeps_the_search(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": f"Dental {n:02d}"} for n in range(30)]
                  + [{"company": "Other"}])
    page = signed_in.get("/customers?q=dental").text
    next_url = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "q=dental" in next_url
    assert companies(signed_in.get(next_url).text) == [f"Dental {n:02d}" for n in range(25, 30)]


def test_partner_never_sees_another_partners_customers(app, signed_in, partner, other_partner):
    (theirs,) = add_customers(app, other_partner.partner_id, [{"company": "Rival Secret Client", "ein": "12-3456789"}])
    add_customers(app, partner.partner_id, [{"company": "My Client"}])
    assert companies(signed_in.get("/customers").text) == ["My Client"]
    assert companies(signed_in.get("/customers?q=rival").text) == []
    assert companies(signed_in.get("/customers?q=123456789").text) == []
    assert signed_in.get(f"/customers/{theirs}").status_code == 404
    # Their id as a page cursor is simply unknown: the first page, nothing of theirs.
    assert companies(signed_in.get(f"/customers?after={theirs}").text) == ["My Client"]
    assert companies(signed_in.get(f"/customers?before={theirs}").text) == ["My Client"]


def test_another_partners_customer_page_is_404_not_403(app, signed_in, other_partner):
    (theirs,) = add_customers(app, other_partner.partner_id, [{"company": "Rival Secret Client"}])
    response = signed_in.get(f"/customers/{theirs}")
    assert response.status_code == 404
    assert "Rival Secret Client" not in response.text
    assert signed_in.get("/customers/999999").status_code == 404


@pytest.mark.parametrize("cursor", ["abc", "-1", "9" * 40, ""])
def test_odd_cursors_show_the_first_page(app, signed_in, partner, cursor):
    add_customers(app, partner.partner_id, [{"company": "Only One"}])
    response = signed_in.get("/customers", query_string={"after": cursor})
    assert response.status_code == 200
    assert companies(response.text) == ["Only One"]


def test_company_names_are_escaped(app, signed_in, partner):
    add_customers(app, partner.partner_id, [{"company": "<script>alert(1)</script>"}])
    page = signed_in.get("/customers").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
