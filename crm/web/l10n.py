"""Money, numbers and short dates in the reader's language, from CLDR (Babel).

Dates and the numbers Django formats itself (`intcomma`, `|date`) follow Django's format
modules, which crm/formats completes for the languages Django knows only in part.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_currency, format_decimal, get_currency_symbol
from django.utils import translation

# Where we write money differently from CLDR, per language.
CURRENCY_PATTERNS = {
    # CLDR puts the sign first ("₮ 1,234.50"); Mongolian price tags, invoices and bank
    # statements write it after the amount.
    "mn": "#,##0.00\xa0¤",
    # CLDR's Tamil currency pattern groups in threes, unlike its own numbers (12,34,567) and
    # Indian practice; Telugu's is the Indian one already: ₹12,34,567.00.
    "ta": "¤#,##,##0.00",
}

# CLDR's narrow signs, which Babel does not ship: for the locales that know only the code
# ("RUB1,234.50" in English reads "₽1,234.50").
NARROW_SYMBOLS = {"USD": "$", "EUR": "€", "RUB": "₽", "GBP": "£", "INR": "₹", "MNT": "₮",
                  "KZT": "₸", "CNY": "¥"}  # fmt: skip


def current_locale() -> Locale:
    return Locale.parse(translation.to_locale(translation.get_language() or "en"))


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def _currency_pattern(locale: Locale, currency: str) -> str:
    pattern = CURRENCY_PATTERNS.get(locale.language) or locale.currency_formats["standard"].pattern
    symbol = get_currency_symbol(currency, locale)
    if symbol == currency:
        symbol = NARROW_SYMBOLS.get(currency, currency)
    if not symbol:  # no currency: the number alone
        return re.sub(r"\s?¤\s?", "", pattern)
    if symbol[-1:].isalpha():
        # CLDR's currency spacing, which Babel leaves out: "XYZ 15", not "XYZ15".
        pattern = re.sub(r"¤(?=[#0])", "¤\xa0", pattern)
        pattern = re.sub(r"(?<=[#0])¤", "\xa0¤", pattern)
    return pattern.replace("¤", f"'{symbol}'")


def format_money(amount, currency: str, *, cents: bool = True, locale: Locale | None = None) -> str:
    """1234567.5 USD → "$1,234,567.50" (en), "1 234 567,50 $" (ru), "$12,34,567.50" (te).
    Without `cents`, the amount is rounded to whole units. Not a number: ""."""
    value = _decimal(amount)
    if value is None:
        return ""
    locale = locale or current_locale()
    pattern = _currency_pattern(locale, currency)
    if not cents:
        pattern = re.sub(r"\.0+", "", pattern)
    # The currency's own digits (none for JPY) unless whole units are asked for.
    return format_currency(value, currency, pattern, locale=locale, currency_digits=cents)


def format_number(value, *, locale: Locale | None = None) -> str:
    """1234567.5 → "1,234,567.5" (en), "1 234 567,5" (ru), "12,34,567.5" (ta, te)."""
    number = _decimal(value)
    if number is None:
        return ""
    return format_decimal(number, locale=locale or current_locale())


def format_day(day: dt.date, skeleton: str = "MMMd", *, locale: Locale | None = None) -> str:
    """A day in the locale's words and order. `skeleton` is CLDR's: "MMMd" → "Mar 5" (en),
    "5 мар." (ru), "5 మార్చి" (te); "MMMEd" adds the weekday, "yMMMd" the year."""
    return format_skeleton(skeleton, day, locale=locale or current_locale())
