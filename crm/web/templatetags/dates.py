"""Days written in the reader's locale (Babel's CLDR data, see crm/web/l10n.py)."""

import datetime as dt

from django import template

from crm.web.l10n import format_day

register = template.Library()


@register.filter
def day(value, skeleton: str = "MMMd") -> str:
    """{{ task.due_date|day:"MMMEd" }} → "Tue, Nov 24" / "вт, 24 нояб."; CLDR skeletons."""
    if not isinstance(value, dt.date):
        return ""
    return format_day(value, skeleton)
