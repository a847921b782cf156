"""The field rules, one edge case at a time: normalize first, then the library judges."""

import re

import pytest
from stdnum.us import ein as stdnum_ein

from forms import rules
from forms.rules import RuleError


def refuses(fn, *args, match: str, **kwargs) -> None:
    with pytest.raises(RuleError, match=match):
        fn(*args, **kwargs)


def exactly(message: str) -> str:
    """A pytest.raises pattern for the whole message, taken literally."""
    return f"^{re.escape(message)}$"


def starts(message: str) -> str:
    """A pytest.raises pattern for the start of the message, taken literally."""
    return f"^{re.escape(message)}"


# -- EIN ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("911144442", "91-1144442"),
        ("91-1144442", "91-1144442"),
        ("  91-1144442 ", "91-1144442"),
        ("\u00a091-1144442\t", "91-1144442"),
        ("04-2103594", "04-2103594"),
        ("", ""),
        (None, ""),
    ],
)
def test_ein_is_stored_with_its_hyphen_after_the_second_digit(typed, stored):
    assert rules.normalize_ein(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "９１１１４４４４２",  # full-width digits
        "٩١١١٤٤٤٤٢",  # Arabic-Indic digits
        "۹۱۱۱۴۴۴۴۲",  # Extended Arabic-Indic (Persian) digits
        "91–1144442",  # en dash
        "91—1144442",  # em dash
        "91 1144442",
        "91--1144442",
        "911-144442",
        "9-11144442",
        "9111444421",
        "91114444",
        "AB-CDEFGHI",
        "91-114444O",  # a letter O for a zero
        "91-1144442\x00",
        "9" * 10_000,
    ],
)
def test_ein_must_be_nine_ascii_digits(typed):
    refuses(rules.normalize_ein, typed, match=exactly("Enter the EIN as 9 digits, like 12-3456789"))


@pytest.mark.parametrize("typed", ["９１１１４４４４２", "91–1144442"])
def test_stdnum_alone_would_take_full_width_digits_and_en_dashes_so_the_shape_is_checked_first(typed):
    assert stdnum_ein.is_valid(typed)  # if this starts failing, our own shape check is belt and braces
    refuses(rules.normalize_ein, typed, match="Enter the EIN as 9 digits")


# The IRS's list of valid prefixes leaves out these: they never appear on a real EIN.
@pytest.mark.parametrize("prefix", ["00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "69", "70", "78",
                                    "79", "89", "96", "97"])
def test_ein_prefix_must_be_one_the_irs_issues(prefix):
    refuses(rules.normalize_ein, f"{prefix}-1234567",
            match=exactly(f"Check the EIN: {prefix} is not a prefix the IRS issues"))
    refuses(rules.normalize_ein, f"{prefix}1234567", match=f"{prefix} is not a prefix")


# -- Country -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("typed", "code"),
    [("US", "US"), ("us", "US"), ("USA", "US"), ("U.S.A.", "US"), ("United States", "US"),
     ("united states", "US"), (" United  States of America ", "US"),
     ("CA", "CA"), ("ca", "CA"), ("Canada", "CA"), ("CANADA", "CA")],
)
def test_country_is_the_united_states_or_canada_however_it_is_written(typed, code):
    assert rules.normalize_country(typed) == code


@pytest.mark.parametrize("typed", ["MX", "Mexico", "", "   ", None, "U", "United Kingdom", "US\x00"])
def test_other_countries_are_refused(typed):
    refuses(rules.normalize_country, typed, match=exactly("Select United States or Canada"))


# -- State/Province ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("typed", "country", "code"),
    [
        ("NY", "US", "NY"),
        ("ny", "US", "NY"),
        (" new york ", "US", "NY"),
        ("NEW YORK", "US", "NY"),
        ("District of Columbia", "US", "DC"),
        ("pr", "US", "PR"),
        ("Puerto Rico", "US", "PR"),
        ("Micronesia", "US", "FM"),
        ("AE", "US", "AE"),
        ("Armed Forces Pacific (AP)", "US", "AP"),
        ("Armed Forces (AA)", "US", "AA"),  # Google's own name for it
        ("Québec", "CA", "QC"),
        ("quebec", "CA", "QC"),
        ("QUÉBEC", "CA", "QC"),
        ("Que\u0301bec", "CA", "QC"),  # e + combining acute, as some keyboards send it
        ("qc", "CA", "QC"),
        ("Nunavut", "CA", "NU"),
        ("Colombie-Britannique", "CA", "BC"),  # French names come from Google's data too
        ("ile du prince edouard", "CA", "PE"),
        ("Newfoundland and Labrador", "CA", "NL"),
        ("on", "ca", "ON"),  # the country may come in any case
    ],
)
def test_state_or_province_accepts_codes_and_names_in_any_case_with_accents_optional(typed, country, code):
    assert rules.normalize_region(typed, country) == code


@pytest.mark.parametrize(
    ("typed", "country", "message"),
    [
        ("ON", "US", "Ontario is a province of Canada: select a state of the United States, or change the country"),
        ("Yukon", "US", "Yukon is a territory of Canada: select a state of the United States"),
        ("Québec", "US", "Quebec is a province of Canada: select a state of the United States"),
        ("texas", "CA", "Texas is a state of the United States: select a province or territory of Canada"),
        ("GU", "CA", "Guam is in the United States: select a province or territory of Canada"),
        ("DC", "CA", "District of Columbia is in the United States: select a province or territory of Canada"),
    ],
)
def test_a_region_of_the_other_country_is_refused_with_a_message_that_says_where_it_is(typed, country, message):
    refuses(rules.normalize_region, typed, country, match=starts(message))


@pytest.mark.parametrize(
    ("typed", "country", "message"),
    [
        ("", "US", "Select the state"),
        (None, "US", "Select the state"),
        ("   ", "CA", "Select the province or territory"),
        ("Atlantis", "US", "Select the state"),
        ("ZZ", "CA", "Select the province or territory"),
        ("\x00", "US", "Select the state"),
        ("N\x00Y", "US", "Select the state"),
        ("x" * 10_000, "CA", "Select the province or territory"),
    ],
)
def test_a_missing_or_unknown_region_asks_to_select_one(typed, country, message):
    refuses(rules.normalize_region, typed, country, match=exactly(message))


def test_us_regions_are_grouped_into_states_dc_territories_and_armed_forces():
    groups = rules.region_choices("US")
    assert [label for label, _ in groups] == ["States", "Federal district", "Territories", "Armed Forces"]
    us = dict(groups)
    assert len(us["States"]) == 50
    assert [name for _, name in us["States"]] == sorted(name for _, name in us["States"])
    assert us["States"][0] == ("AL", "Alabama") and us["States"][-1] == ("WY", "Wyoming")
    assert us["Federal district"] == [("DC", "District of Columbia")]
    assert {code for code, _ in us["Territories"]} == {"AS", "FM", "GU", "MH", "MP", "PR", "PW", "VI"}
    assert [code for code, _ in us["Armed Forces"]] == ["AA", "AE", "AP"]


def test_canada_has_one_group_of_its_thirteen_provinces_and_territories():
    (label, options), = rules.region_choices("CA")
    assert label == "Provinces and territories"
    assert len(options) == 13
    assert ("QC", "Quebec") in options and ("YT", "Yukon") in options
    assert [name for _, name in options] == sorted(name for _, name in options)


@pytest.mark.parametrize("country", ["MX", "", "zz"])
def test_an_unknown_country_gets_the_us_list(country):
    assert rules.region_choices(country) == rules.region_choices("US")


def test_every_option_is_accepted_back_by_its_own_rule():
    for country, _ in rules.COUNTRIES:
        for _, options in rules.region_choices(country):
            for code, name in options:
                assert len(code) == 2 and code.isascii() and code.isupper()
                assert rules.normalize_region(code, country) == code
                assert rules.normalize_region(name, country) == code
                assert rules.region_name(country, code) == name


@pytest.mark.parametrize(
    ("country", "code", "name"),
    [("US", "NY", "New York"), ("US", "ae", "Armed Forces Europe (AE)"), ("CA", "QC", "Quebec"), ("CA", "XX", "XX")],
)
def test_region_name_gives_the_english_name_or_the_code_when_unknown(country, code, name):
    assert rules.region_name(country, code) == name


@pytest.mark.parametrize(
    ("country", "label", "hint"),
    [("US", "ZIP code", "5 digits, or ZIP+4 like 12345-6789"), ("CA", "Postal code", "Like A1A 1A1")],
)
def test_the_postal_field_is_labelled_for_its_country(country, label, hint):
    assert rules.postal_label(country) == label
    assert rules.postal_hint(country) == hint


# -- ZIP/Postal code ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("12345", "12345"),
        (" 12345 ", "12345"),
        ("12345-6789", "12345-6789"),
        ("12345 6789", "12345-6789"),
        ("123456789", "12345-6789"),
        ("\u00a012345-6789\u2003", "12345-6789"),
        ("00501", "00501"),
    ],
)
def test_zip_codes_are_five_digits_or_zip_plus_four_with_a_hyphen(typed, stored):
    assert rules.normalize_postal_code(typed, "US", None) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("K1A 0B1", "K1A 0B1"), ("k1a0b1", "K1A 0B1"), ("k1a 0b1", "K1A 0B1"), ("K1A-0B1", "K1A 0B1"),
     (" h2y 1c6 ", "H2Y 1C6")],
)
def test_canadian_postal_codes_are_upper_cased_with_one_space(typed, stored):
    assert rules.normalize_postal_code(typed, "CA", None) == stored


@pytest.mark.parametrize(
    ("typed", "country", "region", "stored"),
    [
        ("10001", "US", "NY", "10001"),
        ("10001-1234", "US", "ny", "10001-1234"),
        ("06390", "US", "NY", "06390"),  # Fishers Island, NY, has a Connecticut-style ZIP
        ("06390", "US", "CT", "06390"),
        ("20001", "US", "DC", "20001"),
        ("00901", "US", "PR", "00901"),
        ("09001", "US", "AE", "09001"),
        ("K1A 0B1", "CA", "ON", "K1A 0B1"),
        ("k1a0b1", "CA", "QC", "K1A 0B1"),  # Google's data lets Quebec use K1A (Gatineau's federal offices)
        ("H2Y 1C6", "CA", "Québec", "H2Y 1C6"),
        ("R8A 1A1", "CA", "SK", "R8A 1A1"),  # Google's data gives R8A to Saskatchewan as well as Manitoba
    ],
)
def test_postal_code_is_accepted_when_it_belongs_to_the_region(typed, country, region, stored):
    assert rules.normalize_postal_code(typed, country, region) == stored


@pytest.mark.parametrize(
    ("typed", "country", "region", "message"),
    [
        ("10001", "US", "CA", "ZIP code 10001 is not in California. Check the ZIP code and the state"),
        ("10001-1234", "US", "california", "ZIP code 10001-1234 is not in California. Check the ZIP code"),
        ("20001", "US", "MD", "ZIP code 20001 is not in Maryland"),
        ("M5V 2T6", "CA", "QC", "Postal code M5V 2T6 is not in Quebec. Check the postal code and the province"),
        ("m5v2t6", "CA", "YT", "Postal code M5V 2T6 is not in Yukon. Check the postal code and the territory"),
    ],
)
def test_postal_code_must_belong_to_the_state_or_province(typed, country, region, message):
    refuses(rules.normalize_postal_code, typed, country, region, match=starts(message))


@pytest.mark.parametrize(("region", "country"), [(None, "US"), ("", "US"), ("ZZ", "US"), ("ON", "US"),
                                                 ("TX", "CA"), ("Atlantis", "CA")])
def test_without_a_valid_region_only_the_format_is_checked(region, country):
    typed = "10001" if country == "US" else "M5V 2T6"
    assert rules.normalize_postal_code(typed, country, region) == typed


@pytest.mark.parametrize(
    ("typed", "country", "message"),
    [
        ("K1A 0B1", "US", "That looks like a Canadian postal code. For the United States, "
                          "enter a 5-digit ZIP code, or ZIP+4 like 12345-6789"),
        ("k1a0b1", "US", "That looks like a Canadian postal code"),
        ("90210", "CA", "That looks like a US ZIP code. For Canada, enter a postal code in the format A1A 1A1"),
        ("90210-1234", "CA", "That looks like a US ZIP code"),
    ],
)
def test_a_postal_code_of_the_other_country_says_so(typed, country, message):
    refuses(rules.normalize_postal_code, typed, country, None, match=starts(message))


US_FORMAT = "Enter the ZIP code as 5 digits, or ZIP+4 like 12345-6789"
CA_FORMAT = "Enter the postal code in the format A1A 1A1"


@pytest.mark.parametrize(
    ("typed", "country", "message"),
    [
        ("1234", "US", US_FORMAT),
        ("123456", "US", US_FORMAT),
        ("12345-678", "US", US_FORMAT),
        ("12345--6789", "US", US_FORMAT),
        ("12345–6789", "US", US_FORMAT),  # en dash
        ("１２３４５", "US", US_FORMAT),  # full-width digits
        ("١٢٣٤٥", "US", US_FORMAT),  # Arabic-Indic digits
        ("12345\x00", "US", US_FORMAT),
        ("1" * 10_000, "US", US_FORMAT),
        ("K1A  0B1", "CA", CA_FORMAT),
        ("K1A0B", "CA", CA_FORMAT),
        ("ＫＩＡ０Ｂ１", "CA", CA_FORMAT),  # full-width letters and digits
        ("ſ4p 3y2", "CA", CA_FORMAT),  # long s: "ſ".upper() is "S", so ASCII is checked before upper-casing
        ("K1A 0B1\x00", "CA", CA_FORMAT),
        ("", "US", "Enter the ZIP code"),
        (None, "US", "Enter the ZIP code"),
        ("  ", "CA", "Enter the postal code"),
    ],
)
def test_postal_codes_in_the_wrong_format_are_refused(typed, country, message):
    refuses(rules.normalize_postal_code, typed, country, None, match=exactly(message))


@pytest.mark.parametrize("typed", ["D1A 1A1", "K1D 1A1", "W1A 1A1", "Z1A 1A1", "K1A 1U1"])
def test_canadian_postal_codes_never_use_the_letters_canada_post_skips(typed):
    refuses(rules.normalize_postal_code, typed, "CA", None,
            match=starts("Check the postal code: Canadian postal codes do not use the letters"))


# -- Text --------------------------------------------------------------------------------

def company(value, **kwargs):
    return rules.clean_text(value, label="Company", max_length=200, required=True,
                            required_message="Enter the company name", **kwargs)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Acme Ltd ", "Acme Ltd"),
        ("\u00a0\u2003Acme\u3000", "Acme"),  # no-break, em and ideographic spaces
        ("Cafe\u0301 Ltd", "Café Ltd"),  # NFC: e + combining acute becomes é
        ("Acme  Ltd", "Acme  Ltd"),  # inner spaces are the partner's business
        ("Åsa & Søn", "Åsa & Søn"),
    ],
)
def test_text_is_trimmed_and_nfc_normalized(typed, stored):
    assert company(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["A\x00B", "\x00", "Acme\x07", "Ac\x1bme", "Acme\tLtd", "Acme\nLtd", "Ac\u0085me",
     "A\u200bB",  # zero-width space (Cf)
     "\ufeffAcme",  # byte-order mark (Cf)
     "Acme\u202e",  # right-to-left override (Cf)
     "Ac\ud800me"],  # a lone surrogate cannot be stored as UTF-8
)
def test_text_must_not_contain_control_characters(typed):
    refuses(company, typed, match=exactly("Company must not contain control characters"))


@pytest.mark.parametrize(
    "typed",
    ["Acme\u2028Co",  # line separator (Zl): an email subject cannot carry it
     "Acme\u2029Co",  # paragraph separator (Zp)
     "Acme\rCo", "Acme\x0bCo", "Acme\x0cCo", "Acme\x1cCo",  # what str.splitlines() also splits on
     "Acme\x7f", "Ac\x9bme",  # DEL and a C1 control
     "Acme\u2066Co\u2069",  # bidi isolates (Cf)
     "Acme\u00adCo",  # soft hyphen (Cf), invisible
     "\u200dAcme",  # a joiner at a word's edge
     "Acme \u200cCo",  # a non-joiner beside a space
     "\U0001f468\u200d\U0001f4bb Co",  # an emoji ZWJ sequence: not letters
     "Acme\U000e0041"],  # a tag character (Cf)
)
def test_single_line_fields_refuse_what_is_not_printable_on_one_line(typed):
    refuses(company, typed, match=exactly("Company must not contain control characters"))


@pytest.mark.parametrize(
    "typed",
    ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian "I want": ZWNJ inside the word
     "\u0915\u094d\u200d\u0937",  # Devanagari with a ZWJ between letters and marks
     "Acme\u2028",  # surrounding line breaks are whitespace, stripped first
     "\u2029\nAcme Co\n"],
)
def test_joiners_inside_words_and_surrounding_whitespace_are_kept_or_stripped(typed):
    assert company(typed) == typed.strip()


def test_the_cli_and_the_forms_share_the_single_line_rule():
    assert rules.single_line("Acme IT", label="Partner name") == "Acme IT"
    refuses(rules.single_line, "Acme\nIT", label="Partner name", match=exactly(
        "Partner name must not contain control characters"))


@pytest.mark.parametrize(("label", "message"), [("Address", "Enter the address"), ("City", "Enter the city"),
                                                ("Name", "Enter the name"), ("Legal name", "Enter the legal name")])
@pytest.mark.parametrize("typed", ["", "   ", "\u00a0\u2003", None])
def test_a_required_field_left_blank_asks_for_it_by_name(label, message, typed):
    refuses(rules.clean_text, typed, label=label, max_length=100, required=True, match=exactly(message))


@pytest.mark.parametrize("typed", ["", "   ", None])
def test_the_company_name_has_its_own_required_message(typed):
    refuses(company, typed, match=exactly("Enter the company name"))


@pytest.mark.parametrize("typed", ["", "  ", None])
def test_an_optional_field_may_be_left_empty(typed):
    assert rules.clean_text(typed, label="Legal name", max_length=200, required=False) == ""


@pytest.mark.parametrize(
    ("typed", "ok"),
    [
        ("x" * 200, True),
        ("  " + "x" * 200 + "  ", True),  # counted after trimming
        ("e\u0301" * 200, True),  # counted after NFC: 200 characters, not 400 code points
        ("x" * 201, False),
        ("x" * 10_000, False),
    ],
)
def test_text_must_be_max_length_characters_or_fewer(typed, ok):
    if ok:
        assert len(company(typed)) == 200
    else:
        refuses(company, typed, match=exactly("Company must be 200 characters or fewer"))


# -- Email -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ann@Example.COM", "Ann@example.com"),
        (" Ann@Example.COM ", "Ann@example.com"),
        ("ANN@EXAMPLE.COM", "ANN@example.com"),
        ("bob.ray+ar@example.com", "bob.ray+ar@example.com"),
        ("élodie@example.com", "élodie@example.com"),
        ("e\u0301lodie@example.com", "élodie@example.com"),  # email-validator NFC-normalizes
        ("ann@Bücher.Example.com", "ann@bücher.example.com"),
    ],
)
def test_emails_keep_the_local_part_as_typed_and_lower_case_the_domain(typed, stored):
    assert rules.normalize_email(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["ann", "ann@", "@example.com", "ann@@example.com", "ann@example", "a b@example.com", "ann@localhost",
     "ann@example.test",  # special-use domains (.test, .local, .invalid) are refused: tests use example.com
     "ann@example.com.", "Ann <ann@example.com>", "ann@[192.0.2.1]", "ann\x00@example.com",
     "ann@exam_ple.com", "ann@ｅｘａｍｐｌｅ．ｃｏｍ\x00"],
)
def test_bad_emails_get_one_clear_message(typed):
    refuses(rules.normalize_email, typed, match=exactly("Enter an email address in the format name@example.com"))


@pytest.mark.parametrize("typed", ["", "   ", None])
def test_a_blank_email_asks_for_it(typed):
    refuses(rules.normalize_email, typed, match=exactly("Enter the email address"))


@pytest.mark.parametrize("typed", ["a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 57 + ".com",
                                   "x" * 10_000 + "@example.com"])
def test_an_email_must_be_254_characters_or_fewer(typed):
    assert len(typed) > 254
    refuses(rules.normalize_email, typed, match=exactly("Email address must be 254 characters or fewer"))
