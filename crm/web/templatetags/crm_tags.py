from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ record.custom|get_item:field.key }}"""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
