"""The comparison keys (keys.py): what counts as the same email, tag or company, and that the
key stored with a row is the key its lookups use."""

import pytest
from customer_helpers import make_customer, make_tag
from sqlalchemy import select

import keys
from extensions import db
from models import CustomerUser
from services import tags as tag_service

# Strings whose folding is tricky: decomposed after casefold, compatibility forms, length changes.
TRICKY = [
    ("ǰ@example.com", "J̌@example.com"),
    ("ÉLODIE@example.com", "élodie@example.com"),
    ("Straße@example.com", "STRASSE@example.com"),
    ("ﬁnance@example.com", "FINANCE@example.com"),
    ("Ｍａｒｙ@example.com", "mary@example.com"),
    ("İpek@example.com", "i̇pek@example.com"),
    ("ΣΊΣΥΦΟΣ@example.com", "σίσυφος@example.com"),
]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ÉLODIE@example.com", "élodie@example.com"),
        ("E\u0301LODIE@example.com", "élodie@example.com"),
        ("Straße@example.com", "STRASSE@example.com"),
        ("Ann@Example.COM", "ann@example.com"),
    ],
)
def test_email_keys_are_the_same_for_addresses_that_differ_only_in_unicode_case(one, other):
    assert keys.email_key(one) == keys.email_key(other)


def test_email_keys_still_tell_different_addresses_apart():
    assert keys.email_key("ann@example.com") != keys.email_key("anne@example.com")
    assert keys.email_key("élodie@example.com") != keys.email_key("elodie@example.com")


# -- Company key -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Acme, Inc.", "ACME INC"),
        ("Acme, Inc.", "acme-inc"),
        ("Café Québec", "cafe quebec"),
        ("Cafe\u0301", "CAFÉ"),
        ("Acme\u00a0Ltd", "Acme Ltd"),
        ("O’Brien & Sons", "OBrien Sons"),
        ("AT&T", "AT T"),  # "&" is punctuation (Po) to Unicode
        ("Ｆｕｌｌ Ｗｉｄｔｈ", "full width"),  # NFKD folds compatibility forms
    ],
)
def test_company_names_that_differ_only_in_case_accents_spaces_or_punctuation_share_a_key(one, other):
    assert keys.company_key(one) == keys.company_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [("Acme", "Acme Two"), ("Acme", "Acne"), ("A+ Plumbing", "A Plumbing")],  # "+" is a symbol (Sm): kept
)
def test_different_company_names_keep_different_keys(one, other):
    assert keys.company_key(one) != keys.company_key(other)


def test_company_key_fits_its_column_even_when_decomposition_lengthens_the_name():
    assert keys.company_key("ACME, INC.") == "acmeinc"
    assert len(keys.company_key("\ufdfa" * 200)) == 200  # one character that NFKD turns into 18



@pytest.mark.parametrize(("stored", "typed"), TRICKY)
def test_a_users_stored_email_key_is_the_key_the_duplicate_check_looks_up(app, partner, stored, typed):
    customer_id = make_customer(app, partner, users=(("Someone", stored),))
    with app.app_context():
        found = db.session.scalar(select(CustomerUser).where(
            CustomerUser.customer_id == customer_id, CustomerUser.email_key == keys.email_key(typed)))
        assert found is not None and found.email == stored


@pytest.mark.parametrize(("stored", "typed"), [("ǰ Clients", "J\u030c clients"), ("Straße", "STRASSE"), ("ﬁ", "FI")])
def test_a_tags_stored_key_is_the_key_its_lookup_uses(app, partner, stored, typed):
    make_tag(app, partner, stored)
    with app.app_context():
        assert tag_service.find_tag_by_name(partner.partner_id, typed).name == stored
