"""Card and bank details: normalize first, then let the library that knows the number judge.

The rules of the processor's form (the sandbox's, standing for Stripe's elements): pure
functions raising forms.rules.RuleError with the message shown by the field, like every
other field rule. python-stdnum judges the Luhn check digit and the ABA routing checksum.
The app's own routes never call these: card and bank details never reach them.
"""

import re
from dataclasses import dataclass
from datetime import date

from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.us import rtn

from forms.rules import RuleError

# [0-9], not \d: full-width and Arabic-Indic digits are refused, not mapped.
_DIGITS = re.compile(r"[0-9]+")
# What people type between groups of digits: spaces of any kind and dashes.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]")


def _digits(value: str | None) -> str:
    return _SEPARATORS.sub("", value or "")


# -- card number and brand ---------------------------------------------------------------------

@dataclass(frozen=True)
class Brand:
    key: str
    name: str
    prefixes: tuple[tuple[int, int], ...]  # (first, last) ranges of leading digits, inclusive
    lengths: tuple[int, ...]
    cvc_length: int
    cvc_where: str


# Prefix ranges as the networks publish them (Mastercard's 2-series since 2017; Discover's
# 644-649 and 65). A range's bounds have the length of the prefix compared.
BRANDS = (
    Brand("visa", "Visa", ((4, 4),), (13, 16, 19), 3, "back"),
    Brand("mastercard", "Mastercard", ((51, 55), (2221, 2720)), (16,), 3, "back"),
    Brand("amex", "American Express", ((34, 34), (37, 37)), (15,), 4, "front"),
    Brand("discover", "Discover", ((6011, 6011), (644, 649), (65, 65)), (16, 17, 18, 19), 3, "back"),
)
BRAND_NAMES = {brand.key: brand.name for brand in BRANDS}
CARD_FORMAT = "Enter the card number as it is shown on the card: digits, with spaces if you like"


def card_brand(number: str) -> Brand | None:
    """The brand a number's leading digits name, or None."""
    for brand in BRANDS:
        for first, last in brand.prefixes:
            width = len(str(first))
            if len(number) >= width and first <= int(number[:width]) <= last:
                return brand
    return None


def normalize_card_number(value: str | None) -> tuple[str, Brand]:
    """"4242 4242-4242 4242" → ("4242424242424242", Visa): the digits of a number whose brand we
    take, whose length is that brand's and whose check digit is right."""
    number = _digits(value)
    if not number:
        raise RuleError("Enter the card number")
    if not _DIGITS.fullmatch(number):
        raise RuleError(CARD_FORMAT)
    brand = card_brand(number)
    if brand is None:
        raise RuleError("Use a Visa, Mastercard, American Express or Discover card")
    if len(number) not in brand.lengths:
        lengths = " or ".join(str(length) for length in brand.lengths)
        raise RuleError(f"Check the card number: a {brand.name} card number has {lengths} digits")
    try:
        luhn.validate(number)
    except StdnumError:
        raise RuleError("Check the card number: a digit is wrong or two are swapped") from None
    return number, brand


# -- expiry and security code -----------------------------------------------------------------------

def check_expiry_month(month: str | None) -> int:
    """The expiry month alone: 1 to 12 ("03" is 3)."""
    text = (month or "").strip()
    if not re.fullmatch(r"[0-9]{1,2}", text) or not 1 <= int(text) <= 12:
        raise RuleError("Enter the expiry month as a number from 1 to 12")
    return int(text)


def check_expiry(month: str | None, year: str | None, today: date) -> tuple[int, int]:
    """Month 1-12 and a year of 2 or 4 digits ("30" is 2030), not before this month."""
    expiry_month = check_expiry_month(month)
    year_text = (year or "").strip()
    if re.fullmatch(r"[0-9]{2}", year_text):
        year_text = f"{today.year // 100}{year_text}"
    if not re.fullmatch(r"[0-9]{4}", year_text):
        raise RuleError("Enter the expiry year, like 2030")
    expiry = (int(year_text), expiry_month)
    if expiry < (today.year, today.month):
        raise RuleError("The card has expired: check the expiry date, or use another card")
    if expiry[0] > today.year + 20:
        raise RuleError("Check the expiry year: cards expire within 20 years")
    return expiry[1], expiry[0]


def check_cvc(value: str | None, brand: Brand) -> str:
    """4 digits on the front of an American Express card, 3 on the back of the others."""
    cvc = (value or "").strip()
    if not re.fullmatch(f"[0-9]{{{brand.cvc_length}}}", cvc):
        raise RuleError(f"Enter the {brand.cvc_length}-digit security code on the {brand.cvc_where} of the card")
    return cvc


# -- bank accounts --------------------------------------------------------------------------------

ACCOUNT_LENGTHS = {"US": (4, 17), "CA": (7, 12)}


def normalize_routing_number(value: str | None) -> str:
    """A US ABA routing number: 9 digits whose checksum python-stdnum accepts."""
    number = _digits(value)
    if not number:
        raise RuleError("Enter the routing number")
    if not re.fullmatch(r"[0-9]{9}", number):
        raise RuleError("Enter the routing number as 9 digits, like 110000000")
    try:
        rtn.validate(number)
    except StdnumError:
        raise RuleError("Check the routing number: a digit is wrong or two are swapped") from None
    return number


def normalize_institution_number(value: str | None) -> str:
    number = _digits(value)
    if not re.fullmatch(r"[0-9]{3}", number):
        raise RuleError("Enter the institution number as 3 digits, like 000")
    return number


def normalize_transit_number(value: str | None) -> str:
    number = _digits(value)
    if not re.fullmatch(r"[0-9]{5}", number):
        raise RuleError("Enter the transit number as 5 digits, like 11000")
    return number


def normalize_account_number(value: str | None, country: str) -> str:
    """4 to 17 digits in the US, 7 to 12 in Canada."""
    shortest, longest = ACCOUNT_LENGTHS[country]
    number = _digits(value)
    if not number:
        raise RuleError("Enter the account number")
    if not re.fullmatch(f"[0-9]{{{shortest},{longest}}}", number):
        raise RuleError(f"Enter the account number as {shortest} to {longest} digits")
    return number
