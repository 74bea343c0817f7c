"""Snoozing until a time: the presets the thread offers (in an hour, tomorrow at 9:00, next
Monday at 9:00), read in the member's time zone (else the workspace's), or a chosen moment.
The beat task integrations.wake_snoozed opens the conversation again when the time comes;
the client writing opens it sooner."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.accounts.models import Membership

MORNING = dt.time(9, 0)
PRESETS = [
    ("hour", gettext_lazy("In an hour")),
    ("tomorrow", gettext_lazy("Tomorrow at 9:00")),
    ("monday", gettext_lazy("Next Monday at 9:00")),
]


def zone_of(membership: Membership) -> zoneinfo.ZoneInfo:
    name = membership.user.time_zone or membership.tenant.time_zone or "UTC"
    return zoneinfo.ZoneInfo(name)


def until(preset: str, tz: zoneinfo.ZoneInfo, now: dt.datetime | None = None) -> dt.datetime:
    """The moment a preset names, seen from `now` in `tz`. ValueError for an unknown one."""
    local = timezone.localtime(now or timezone.now(), tz)
    if preset == "hour":
        return local + dt.timedelta(hours=1)
    if preset == "tomorrow":
        day = local.date() + dt.timedelta(days=1)
    elif preset == "monday":
        day = local.date() + dt.timedelta(days=(7 - local.weekday()) or 7)
    else:
        raise ValueError(_("Choose when to bring the conversation back."))
    return dt.datetime.combine(day, MORNING, tzinfo=tz)


def chosen(value: str, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """A moment typed in a datetime-local field (`2026-12-24T09:30`), read in `tz`."""
    try:
        naive = dt.datetime.fromisoformat((value or "").strip())
    except ValueError:
        raise ValueError(_("Enter a date and time, such as 2026-12-24 09:30.")) from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=tz)
