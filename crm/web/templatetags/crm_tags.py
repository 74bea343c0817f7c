from django import template

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
