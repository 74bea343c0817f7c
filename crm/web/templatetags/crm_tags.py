from django import template
from django.utils.html import format_html, format_html_join

from crm.web import dialers as dialer_registry

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ record.custom|get_item:field.key }}"""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def phone(value):
    """+14155550100 → +1 415-555-0100: stored as E.164, shown the way people read it."""
    import phonenumbers

    try:
        return phonenumbers.format_number(
            phonenumbers.parse(value), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except (phonenumbers.NumberParseException, TypeError):
        return value or ""


@register.filter
def phones(values):
    return ", ".join(phone(v) for v in values or [])


@register.filter
def tel(value):
    """A phone as a `tel:` link (click to call from a phone or a softphone)."""
    if not value:
        return ""
    return format_html('<a href="tel:{}" class="tel">{}</a>', value, phone(value))


@register.filter
def tels(values):
    return format_html_join(", ", "{}", ((tel(v),) for v in values or []))


@register.simple_tag(takes_context=True)
def dialers(context) -> list:
    """[(label, url)]: the PBX channels that may place a call for this member."""
    request = context.get("request")
    return dialer_registry.for_request(request) if request is not None else []


@register.filter
def mmss(seconds):
    """A duration in seconds as mm:ss (a call's length)."""
    try:
        seconds = max(int(seconds), 0)
    except (TypeError, ValueError):
        seconds = 0
    return f"{seconds // 60:02d}:{seconds % 60:02d}"
