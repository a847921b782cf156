"""Search on All Customers answers from the word index (customer_words) and finds what a
partner typed: each typed word is the start of a word of the customer's, whatever the
partner types (search syntax, quotes, one letter), and after the customer's text changed.

Issue 16 changed the rule from "a substring of the text" to "the start of a word", so the
expectations that relied on a word's inside ('h "b', "h and s", "56789", "2-34", "ß") changed.
"""

from html import unescape

import pytest
from customer_helpers import make_customer
from sqlalchemy import delete
from test_customers import add_customers
from test_customers import companies as escaped_companies

from extensions import db
from models import Customer
from services.customer_profile import update_profile
from unit_of_work import unit_of_work


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
        ('"best"', ['Smith "Best" Plumbing']),  # quotes are punctuation, not a phrase
        ('s "b', ['Smith "Best" Plumbing', "Straße Bau GmbH"]),  # smith best; strasse bau
        ('h "b', []),  # "h" starts no word of theirs
        ("foo*", ["Foobar Labs"]),  # "*" is punctuation, not a wildcard: "foo" starts "foobar"
        ("foo*bar", ["Foobar Labs"]),  # the legal name "Foo*Bar": "foo" and "bar"
        ("AND", ["North AND South Co"]),  # not an operator
        ("n and s", ["North AND South Co"]),
        ("h and s", []),
        ("(east)", ["Zed (East) Ltd"]),
        ("near(", []),
        ("STRASSE", ["Straße Bau GmbH"]),  # Unicode case folding: ß is ss
        ("ßb", []),
        ("12345", ["Zed (East) Ltd"]),  # the start of an EIN
        ("12-34", ["Zed (East) Ltd"]),
        ("56789", []),  # the inside of an EIN
        ("2-34", []),
    ],
)
def test_search_treats_what_was_typed_as_plain_text(signed_in, listed, query, expected):
    assert companies(signed_in.get("/customers", query_string={"q": query}).text) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("qu", ["Qu Bakery"]),
        ("Z", ["Zed (East) Ltd"]),
        ("b", ["Foobar Labs", "Qu Bakery", 'Smith "Best" Plumbing', "Straße Bau GmbH"]),  # bar, bakery, best, bau
        ("ß", []),  # folds to "ss", which starts no word ("strasse" starts "st")
        ("_", []),
        ("%", []),
    ],
)
def test_one_and_two_letter_searches_find_the_start_of_words(signed_in, listed, query, expected):
    assert companies(signed_in.get("/customers", query_string={"q": query}).text) == expected


def test_search_follows_a_customer_edited_on_its_profile(app, signed_in, partner):
    # The index is written by the services that write customers, as the profile's Save does.
    customer_id = make_customer(app, partner, company="Old Harbor Dental", city="Austin")
    with app.app_context(), unit_of_work():
        customer = db.session.get(Customer, customer_id)
        update_profile(customer, {"company": "New Meadow Dental", "city": "Boise"},
                       expected_version=customer.version, staff_id=partner.id)
    for gone in ("harbor", "old", "austin"):
        assert companies(signed_in.get("/customers", query_string={"q": gone}).text) == [], gone
    for found in ("meadow", "new dent", "boise"):
        assert companies(signed_in.get("/customers", query_string={"q": found}).text) == ["New Meadow Dental"]


def test_a_new_customer_is_found_at_once(app, signed_in, partner):
    make_customer(app, partner, company="Granite Fitness", legal_name=None, ein="45-1234567", city="Denver")
    for typed in ("gran fit", "denver", "45-12", "451234567"):
        assert companies(signed_in.get("/customers", query_string={"q": typed}).text) == ["Granite Fitness"]


def test_a_deleted_customer_is_no_longer_found(app, signed_in, partner):
    gone, kept = add_customers(app, partner.partner_id, [{"company": "Gone Harbor"}, {"company": "Kept Harbor"}])
    with app.app_context():
        db.session.execute(delete(Customer).where(Customer.id == gone))
        db.session.commit()
    assert companies(signed_in.get("/customers?q=harbor").text) == ["Kept Harbor"]
