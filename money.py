"""Money: integer minor units (cents) in every column and computation; no float anywhere.

Pure functions, below everything else (like keys.py): the invoice services, the forms, the
PDF, the API and payments all compute and show amounts here, so they agree to the cent.

- A line's amount is quantity x unit price, rounded half-up to the cent; its tax is that
  rounded amount x the rate (percent), rounded half-up to the cent. Both are stored; an
  invoice's subtotal, tax and total are sums of the stored lines (`totals`).
- A customer's currency follows its country (USD for the US, CAD for Canada) until its
  first invoice fixes it (services.invoices.customer_currency).
- Amounts are shown with Babel in the partner's locale (`format_money`).

Typed amounts are read by forms.rules (parse_amount, parse_quantity, parse_tax_rate),
which carry the messages.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, format_compact_currency

# Both currencies we bill in have two decimal places (ISO 4217 exponent 2).
CURRENCY_BY_COUNTRY = {"US": "USD", "CA": "CAD"}
CURRENCIES = tuple(CURRENCY_BY_COUNTRY.values())
MINOR_PER_UNIT = 100
CENT = Decimal(1)
# Enough digits for any product of a Numeric(12,4) quantity and a price in cents: exact,
# whatever the thread's decimal context says.
_EXACT = Context(prec=60)


def currency_for_country(country: str) -> str:
    return CURRENCY_BY_COUNTRY.get(country, "USD")


def _half_up(value: Decimal) -> int:
    return int(value.quantize(CENT, rounding=ROUND_HALF_UP))


def line_amount(quantity: Decimal, unit_price: int) -> int:
    """quantity x unit price (cents), rounded half-up to the cent."""
    with localcontext(_EXACT):
        return _half_up(Decimal(quantity) * unit_price)


def line_tax(amount: int, rate: Decimal | None) -> int:
    """The line's rounded amount (cents) x rate percent, rounded half-up to the cent; no rate, no tax."""
    if not rate:
        return 0
    with localcontext(_EXACT):
        return _half_up(Decimal(amount) * Decimal(rate) / 100)


@dataclass(frozen=True)
class LineMoney:
    amount: int
    tax: int


def line_money(quantity: Decimal, unit_price: int, rate: Decimal | None) -> LineMoney:
    amount = line_amount(quantity, unit_price)
    return LineMoney(amount, line_tax(amount, rate))


@dataclass(frozen=True)
class Totals:
    subtotal: int
    tax: int

    @property
    def total(self) -> int:
        return self.subtotal + self.tax


def totals(lines: Iterable[LineMoney]) -> Totals:
    """Sums of the (already rounded) lines: never a rounding of a sum."""
    lines = list(lines)
    return Totals(sum(line.amount for line in lines), sum(line.tax for line in lines))


def to_units(cents: int) -> Decimal:
    """Cents as an exact decimal of the currency's units (12345 -> Decimal("123.45"))."""
    return Decimal(cents).scaleb(-2)


@lru_cache(maxsize=64)
def _currency_format(locale: str) -> tuple[Locale, NumberPattern]:
    """The locale and its standard currency pattern, parsed once: what format_currency would
    look up on every call (a quarter of a millisecond each; a page shows hundreds)."""
    parsed = Locale.parse(locale)
    return parsed, parsed.currency_formats["standard"]


@lru_cache(maxsize=8192)  # a pure function, and a page (the Overview above all) shows the same figures again
def format_money(cents: int, currency: str, locale: str = "en_US") -> str:
    """"$4,062.18" (en_US, USD), "CA$4,062.18" (en_US, CAD), "4 062,18 $" (fr_CA, CAD):
    Babel's format_currency, exactly, with the locale's pattern kept."""
    parsed, pattern = _currency_format(locale)
    return pattern.apply(to_units(cents), parsed, currency=currency, currency_digits=True)


@lru_cache(maxsize=1024)
def format_money_short(cents: int, currency: str, locale: str = "en_US") -> str:
    """"$5.9K", "CA$1.2M": for a chart's labels, where the exact figure is a link away."""
    return format_compact_currency(to_units(cents), currency, locale=locale, fraction_digits=1)


def plain_amount(cents: int) -> str:
    """The amount as a form shows it for editing: "1,234.50", no symbol (forms.rules.parse_amount reads it back)."""
    return f"{to_units(cents):,.2f}"


def plain_decimal(value: Decimal | None) -> str:
    """A quantity or rate for editing: "1.5" for 1.5000, "" for None."""
    if value is None:
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
