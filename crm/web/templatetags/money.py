"""Money and numbers formatted for the reader's locale (Babel's CLDR data)."""

from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal
from django import template
from django.utils import translation

register = template.Library()


def _locale() -> str:
    return translation.to_locale(translation.get_language() or "en")


@register.filter
def money(amount, currency: str = "USD") -> str:
    """{{ deal.amount|money:tenant.currency }} → "$1,234.50" / "1 234,50 $"."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return format_currency(value, currency or "USD", locale=_locale())


@register.filter
def number(value) -> str:
    try:
        return format_decimal(Decimal(str(value)), locale=_locale())
    except (InvalidOperation, TypeError, ValueError):
        return ""
