"""Search on All Customers answers from a trigram index and still finds what a partner typed.

The index (FTS5 on SQLite, pg_trgm on PostgreSQL) must agree with a plain
case-insensitive substring match, whatever the partner types: search syntax,
quotes, very short queries, text that changed after the customer was added.
"""

from html import unescape

import pytest
from sqlalchemy import delete
from test_customers import add_customers
from test_customers import companies as escaped_companies

from extensions import db
from models import Customer


def companies(html: str) -> list[str]:
    return [unescape(name) for name in escaped_companies(html)]


@pytest.fixture
def listed(app, partner):
    add_customers(app, partner.partner_id, [
        {"company": 'Smith "Best" Plumbing'},
        {"company": "Straße Bau GmbH", "city": "Toronto", "state": "ON", "postal_code": "M5V 2T6", "country": "CA"},
        {"company": "Foobar Labs", "legal_name": "Foo*Bar Labs LLC"},
        {"company": "North AND South Co"},
        {"company": "Qu Bakery"},
        {"company": "Zed (East) Ltd", "ein": "12-3456789"},
    ])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"best"', ['Smith "Best" Plumbing']),  # quotes are text, not a phrase
        ('h "b', ['Smith "Best" Plumbing']),
        ("foo*", ["Foobar Labs"]),  # the legal name "Foo*Bar", not a prefix search
        ("foo*bar", ["Foobar Labs"]),
        ("AND", ["North AND South Co"]),  # not an operator
        ("h and s", ["North AND South Co"]),
        ("(east)", ["Zed (East) Ltd"]),
        ("near(", []),
        ("STRASSE", ["Straße Bau GmbH"]),  # Unicode case folding: ß is ss
        ("ßb", []),
        ("56789", ["Zed (East) Ltd"]),  # part of an EIN
        ("2-34", ["Zed (East) Ltd"]),
    ],
)
def test_search_treats_what_was_typed_as_plain_text(signed_in, listed, query, expected):
    assert companies(signed_in.get("/customers", query_string={"q": query}).text) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("qu", ["Qu Bakery"]),  # too short for a trigram: still found
        ("Z", ["Zed (East) Ltd"]),
        ("ß", ["Straße Bau GmbH"]),  # folds to "ss"
        ("_", []),
        ("%", []),
    ],
)
def test_one_and_two_letter_searches_still_find_substrings(signed_in, listed, query, expected):
    assert companies(signed_in.get("/customers", query_string={"q": query}).text) == expected


def test_search_follows_a_renamed_customer(app, signed_in, partner):
    (customer_id,) = add_customers(app, partner.partner_id, [{"company": "Old Harbor Dental"}])
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        customer.company = "New Meadow Dental"
        db.session.commit()
    assert companies(signed_in.get("/customers?q=harbor").text) == []
    assert companies(signed_in.get("/customers?q=meadow").text) == ["New Meadow Dental"]


def test_a_deleted_customer_is_no_longer_found(app, signed_in, partner):
    gone, kept = add_customers(app, partner.partner_id, [{"company": "Gone Harbor"}, {"company": "Kept Harbor"}])
    with app.app_context():
        db.session.execute(delete(Customer).where(Customer.id == gone))
        db.session.commit()
    assert companies(signed_in.get("/customers?q=harbor").text) == ["Kept Harbor"]
