"""Money and numbers formatted for the reader's locale (Babel's CLDR data, see crm/web/l10n.py)."""

from django import template

from crm.web.l10n import format_money, format_number

register = template.Library()


@register.filter
def money(amount, currency: str = "USD") -> str:
    """{{ deal.amount|money:tenant.currency }} → "$1,234.50" / "1 234,50 ₽" / "1,234.50 ₮"."""
    return format_money(amount, currency or "USD")


@register.filter
def number(value) -> str:
    return format_number(value)
