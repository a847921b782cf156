"""Money: cents everywhere, half-up rounding per line, sums of the rounded lines, typed amounts read exactly."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import money
from forms import rules


@pytest.mark.parametrize(("quantity", "unit_price", "amount"), [
    ("1", 100, 100),
    ("3", 1999, 5997),
    ("0.5", 1, 1),  # half a cent rounds up
    ("0.4999", 1, 0),
    ("1.0005", 1000, 1001),  # 1000.5 cents -> 1001
    ("0.0001", 4999, 0),  # 0.4999 cents -> 0
    ("0.0001", 5000, 1),  # 0.5 cents -> 1
    ("2.5", 333, 833),  # 832.5 -> 833
    ("99999999.9999", 9999999999, 999999999899000000),  # exact at the columns' limits
    ("1.3333", 300, 400),  # 399.99 -> 400
])
def test_line_amount_is_quantity_times_price_rounded_half_up(quantity, unit_price, amount):
    assert money.line_amount(Decimal(quantity), unit_price) == amount


@pytest.mark.parametrize(("amount", "rate", "tax"), [
    (1000, None, 0),
    (1000, Decimal("0"), 0),
    (1000, Decimal("13"), 130),
    (1005, Decimal("10"), 101),  # 100.5 -> 101
    (1004, Decimal("10"), 100),  # 100.4 -> 100
    (333, Decimal("8.875"), 30),  # 29.55 -> 30
    (1, Decimal("50"), 1),  # 0.5 -> 1
    (1, Decimal("49.9999"), 0),
])
def test_line_tax_is_the_rounded_amount_times_the_rate_rounded_half_up(amount, rate, tax):
    assert money.line_tax(amount, rate) == tax


def test_tax_is_figured_on_the_rounded_amount_not_the_exact_product():
    # 0.5 x 1 cent = 0.5 -> 1 cent; 50% of 1 cent = 0.5 -> 1 (of the exact 0.5 it would be 0.25 -> 0).
    line = money.line_money(Decimal("0.5"), 1, Decimal("50"))
    assert (line.amount, line.tax) == (1, 1)


@pytest.mark.parametrize(("cents", "currency", "locale", "shown"), [
    (406218, "USD", "en_US", "$4,062.18"),
    (5, "USD", "en_US", "$0.05"),
    (406218, "CAD", "en_US", "CA$4,062.18"),
    (406218, "CAD", "en_CA", "$4,062.18"),
    (406218, "CAD", "fr_CA", "4\xa0062,18\xa0$"),
    (0, "USD", "en_US", "$0.00"),
])
def test_amounts_are_shown_with_babel_in_the_partners_locale(cents, currency, locale, shown):
    assert money.format_money(cents, currency, locale) == shown


def test_currency_follows_the_customers_country():
    assert money.currency_for_country("US") == "USD"
    assert money.currency_for_country("CA") == "CAD"


@pytest.mark.parametrize(("typed", "cents"), [
    ("1,234.50", 123450), ("1234.5", 123450), ("$12", 1200), ("$ 12.00", 1200), ("0", 0), (".5", 50),
    ("0.05", 5), ("1,000,000", 100000000), ("  7.10 ", 710), ("99,999,999.99", 9999999999),
])
def test_a_typed_amount_is_read_exactly_as_cents(typed, cents):
    assert rules.parse_amount(typed) == cents


@pytest.mark.parametrize(("typed", "message"), [
    ("$1,000.005", "Unit price can have at most 2 decimal places"),
    ("1e3", "Enter the unit price as a number, like 1,234.50"),
    ("NaN", "Enter the unit price as a number, like 1,234.50"),
    ("Infinity", "Enter the unit price as a number, like 1,234.50"),
    ("-5", "Unit price cannot be negative"),
    ("1,23", "Enter the unit price as a number, like 1,234.50"),
    ("12,34.00", "Enter the unit price as a number, like 1,234.50"),
    ("٣", "Enter the unit price as a number, like 1,234.50"),
    ("１２", "Enter the unit price as a number, like 1,234.50"),
    ("0x10", "Enter the unit price as a number, like 1,234.50"),
    ("€5", "Enter the unit price as a number, like 1,234.50"),
    (".", "Enter the unit price as a number, like 1,234.50"),
    ("100,000,000", "Unit price must be 99,999,999.99 or less"),
    ("", "Enter the unit price"),
])
def test_a_bad_amount_gets_its_message(typed, message):
    with pytest.raises(rules.RuleError, match=f"^{message}$"):
        rules.parse_amount(typed, label="Unit price")


@pytest.mark.parametrize(("typed", "quantity"), [
    ("1", Decimal("1")), ("1.5", Decimal("1.5")), ("0.0001", Decimal("0.0001")), ("1,000", Decimal("1000")),
    ("99999999.9999", Decimal("99999999.9999")),
])
def test_a_typed_quantity_is_read_exactly(typed, quantity):
    assert rules.parse_quantity(typed) == quantity


@pytest.mark.parametrize(("typed", "message"), [
    ("1e3", "Enter the quantity as a number, like 2 or 1.5"),
    ("NaN", "Enter the quantity as a number, like 2 or 1.5"),
    ("-0", "Quantity cannot be negative"),
    ("٣", "Enter the quantity as a number, like 2 or 1.5"),
    ("0.000000000000001", "Quantity can have at most 4 decimal places"),
    ("1.123456789012345", "Quantity can have at most 4 decimal places"),
    ("0", "Quantity must be more than 0"),
    ("0.0000", "Quantity must be more than 0"),
    ("100000000", "Quantity must be 99,999,999.9999 or less"),
    ("$2", "Enter the quantity as a number, like 2 or 1.5"),
    ("", "Enter the quantity"),
])
def test_a_bad_quantity_gets_its_message(typed, message):
    with pytest.raises(rules.RuleError, match=f"^{message}$"):
        rules.parse_quantity(typed)


@pytest.mark.parametrize(("typed", "rate"), [("", None), ("13", Decimal("13")), ("8.875%", Decimal("8.875")),
                                               ("0", Decimal("0")), ("100", Decimal("100"))])
def test_a_tax_rate_is_an_optional_percent(typed, rate):
    assert rules.parse_tax_rate(typed) == rate


@pytest.mark.parametrize(("typed", "message"), [
    ("100.01", "Tax rate must be 100% or less"), ("-1", "Tax rate cannot be negative"),
    ("1e2", "Enter the tax rate as a number, like 8.25"), ("1.00001", "Tax rate can have at most 4 decimal places"),
])
def test_a_bad_tax_rate_gets_its_message(typed, message):
    with pytest.raises(rules.RuleError, match=f"^{message}$"):
        rules.parse_tax_rate(typed)


quantities = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99999999.9999"), places=4)
prices = st.integers(min_value=0, max_value=rules.AMOUNT_MAX)
rates = st.none() | st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=4)
lines = st.lists(st.tuples(quantities, prices, rates), min_size=1, max_size=30)


@given(lines)
def test_the_total_is_the_sum_of_the_rounded_lines(typed_lines):
    figured = [money.line_money(q, p, r) for q, p, r in typed_lines]
    result = money.totals(figured)
    assert result.subtotal == sum(line.amount for line in figured)
    assert result.tax == sum(line.tax for line in figured)
    assert result.total == sum(line.amount + line.tax for line in figured)
    for (quantity, price, _rate), line in zip(typed_lines, figured, strict=True):
        exact = quantity * price
        assert abs(line.amount - exact) <= Decimal("0.5")  # each line off by at most half a cent
        assert isinstance(line.amount, int) and isinstance(line.tax, int)


@given(st.integers(min_value=0, max_value=rules.AMOUNT_MAX))
def test_an_amount_shown_for_editing_reads_back_to_the_same_cents(cents):
    assert rules.parse_amount(money.plain_amount(cents)) == cents
    assert rules.parse_amount(money.format_money(cents, "USD")) == cents
