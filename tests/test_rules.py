"""The field rules, one edge case at a time: normalize first, then the library judges."""

import pytest

from forms import rules
from forms.rules import RuleError


def refuses(fn, *args, match: str):
    with pytest.raises(RuleError, match=match):
        fn(*args)


# -- EIN ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("typed", "stored"),
    [("911144442", "91-1144442"), ("91-1144442", "91-1144442"), ("  91-1144442 ", "91-1144442"), ("", "")],
)
def test_ein_is_stored_with_its_hyphen(typed, stored):
    assert rules.normalize_ein(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "９１１１４４４４２",  # full-width digits: stdnum would take them
        "٩١١١٤٤٤٤٢",  # Arabic-Indic digits
        "91–1144442",  # en dash: stdnum would take it too
        "91 1144442", "9111444421", "91114444", "911-144442", "AB-CDEFGHI", "91-114444\x00",
    ],
)
def test_ein_must_be_nine_ascii_digits(typed):
    refuses(rules.normalize_ein, typed, match="Enter the EIN as 9 digits, like 12-3456789")


@pytest.mark.parametrize("prefix", ["00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "78", "79", "89"])
def test_ein_prefix_must_be_one_the_irs_issues(prefix):
    refuses(rules.normalize_ein, f"{prefix}-1234567", match=f"{prefix} is not a prefix the IRS issues")


# -- State/Province --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("typed", "country", "code"),
    [
        ("NY", "US", "NY"), ("ny", "US", "NY"), (" new york ", "US", "NY"), ("District of Columbia", "US", "DC"),
        ("pr", "US", "PR"), ("AE", "US", "AE"), ("Armed Forces Pacific (AP)", "US", "AP"),
        ("Québec", "CA", "QC"), ("quebec", "CA", "QC"), ("Que\u0301bec", "CA", "QC"), ("qc", "CA", "QC"),
        ("Nunavut", "CA", "NU"), ("Colombie-Britannique", "CA", "BC"),
    ],
)
def test_state_or_province_accepts_codes_and_names_in_any_case(typed, country, code):
    assert rules.normalize_region(typed, country) == code


def test_a_province_is_refused_for_the_united_states_with_a_clear_message():
    refuses(rules.normalize_region, "ON", "US", match="Ontario is a province or territory of Canada")
    refuses(rules.normalize_region, "texas", "CA", match="Texas is a state of the United States")


@pytest.mark.parametrize(("typed", "country"), [("", "US"), ("Atlantis", "US"), ("ZZ", "CA"), ("\x00", "US")])
def test_unknown_regions_ask_to_select_one(typed, country):
    refuses(rules.normalize_region, typed, country, match="Select the")


def test_region_choices_are_grouped_and_complete():
    us = dict(rules.region_choices("US"))
    assert len(us["States"]) == 50
    assert us["Federal district"] == [("DC", "District of Columbia")]
    assert {c for c, _ in us["Territories and freely associated states"]} == {
        "AS", "FM", "GU", "MH", "MP", "PR", "PW", "VI"}
    assert {c for c, _ in us["Armed Forces"]} == {"AA", "AE", "AP"}
    (group, provinces), = rules.region_choices("CA")
    assert len(provinces) == 13


# -- ZIP/Postal Code --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("typed", "country", "region", "stored"),
    [
        ("12345", "US", None, "12345"),
        ("12345-6789", "US", None, "12345-6789"),
        ("12345 6789", "US", None, "12345-6789"),
        ("123456789", "US", None, "12345-6789"),
        ("06390", "US", "NY", "06390"),  # Fishers Island, NY, has a Connecticut-style ZIP
        ("10001", "US", "NY", "10001"),
        ("k1a0b1", "CA", "QC", "K1A 0B1"),  # Google's data lets Quebec use K1A
        ("K1A 0B1", "CA", "ON", "K1A 0B1"),
        ("k1a-0b1", "CA", None, "K1A 0B1"),
        (" h2y 1c6 ", "CA", "QC", "H2Y 1C6"),
    ],
)
def test_postal_codes_are_normalized(typed, country, region, stored):
    assert rules.normalize_postal_code(typed, country, region) == stored


@pytest.mark.parametrize(
    ("typed", "country", "region", "message"),
    [
        ("10001", "US", "CA", "ZIP code 10001 is not in California. Check the ZIP code and the state"),
        ("M5V 2T6", "CA", "QC", "Postal code M5V 2T6 is not in Quebec"),
        ("K1A 0B1", "US", None, "That looks like a Canadian postal code"),
        ("90210", "CA", None, "That looks like a US ZIP code"),
        ("1234", "US", None, "Enter the ZIP code as 5 digits"),
        ("12345-678", "US", None, "Enter the ZIP code as 5 digits"),
        ("１２３４５", "US", None, "Enter the ZIP code as 5 digits"),
        ("١٢٣٤٥", "US", None, "Enter the ZIP code as 5 digits"),
        ("K1A  0B1", "CA", None, "Enter the postal code in the format A1A 1A1"),
        ("", "US", None, "Enter the ZIP code"),
        ("", "CA", None, "Enter the postal code"),
    ],
)
def test_postal_codes_that_are_refused(typed, country, region, message):
    refuses(rules.normalize_postal_code, typed, country, region, match=message)


# -- Country and text -------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "code"), [("US", "US"), ("us", "US"), ("United States", "US"), ("CA", "CA"),
                                             ("canada", "CA")])
def test_country_is_the_united_states_or_canada(typed, code):
    assert rules.normalize_country(typed) == code


@pytest.mark.parametrize("typed", ["MX", "", "Mexico", None])
def test_other_countries_are_refused(typed):
    refuses(rules.normalize_country, typed, match="Select United States or Canada")


def test_text_is_trimmed_and_nfc_normalized():
    assert rules.clean_text("  Cafe\u0301 Ltd ", label="Company", max_length=200, required=True) == "Café Ltd"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("   ", "Enter the company name"),
        ("\u00a0\u2003", "Enter the company name"),
        ("A\x00B", "must not contain control characters"),
        ("A\u200bB", "must not contain control characters"),
        ("x" * 201, "Company must be 200 characters or fewer"),
        ("x" * 10_000, "Company must be 200 characters or fewer"),
    ],
)
def test_required_text_refuses_blank_control_and_overlong_values(typed, message):
    with pytest.raises(RuleError, match=message):
        rules.clean_text(typed, label="Company", max_length=200, required=True,
                         required_message="Enter the company name")


def test_optional_text_may_be_empty():
    assert rules.clean_text("  ", label="Legal name", max_length=200, required=False) == ""


# -- Email --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("typed", "stored"),
    [(" Ann@Example.COM ", "Ann@example.com"), ("bob.ray+ar@example.com", "bob.ray+ar@example.com"),
     ("élodie@example.com", "élodie@example.com")],
)
def test_emails_are_trimmed_with_the_domain_lower_cased(typed, stored):
    assert rules.normalize_email(typed) == stored


@pytest.mark.parametrize("typed", ["ann", "ann@", "@example.com", "ann@@example.com", "ann@example", "a b@example.com",
                                   "ann@localhost", "ann@example.test"])
def test_bad_emails_get_one_clear_message(typed):
    refuses(rules.normalize_email, typed, match="Enter an email address in the format name@example.com")


def test_email_keys_fold_unicode_case():
    assert rules.email_key("ÉLODIE@example.com") == rules.email_key("élodie@example.com")
    assert rules.email_key("Straße@example.com") == rules.email_key("STRASSE@example.com")


def test_company_keys_ignore_case_spaces_accents_and_punctuation():
    assert rules.company_key("Acme, Inc.") == rules.company_key("ACME INC") == rules.company_key("acme-inc")
    assert rules.company_key("Café Québec") == rules.company_key("cafe quebec")
    assert rules.company_key("Acme") != rules.company_key("Acme Two")
