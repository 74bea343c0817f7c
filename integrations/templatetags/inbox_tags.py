from django import template

from integrations import mentions

register = template.Library()


@register.filter
def with_mentions(text: str) -> str:
    """A note's or a team message's text with its @mentions highlighted (escaped)."""
    return mentions.highlight(text)
