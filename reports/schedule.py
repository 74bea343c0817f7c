"""When a subscription is next due: daily, weekly (a weekday) or monthly (a day of the month)
at a time of day in the recipient's time zone, as a UTC moment.

Daylight saving: a time that does not exist on a spring-forward day (02:30 in New York) is
taken with the offset before the change (so 03:30 local, the same moment a clock that kept
going would show); a time that happens twice on a fall-back day is its first occurrence. A
day of the month past a month's end (31 in April) is that month's last day."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo

DAILY, WEEKLY, MONTHLY = "daily", "weekly", "monthly"


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _matches(day: dt.date, frequency: str, weekday: int | None, day_of_month: int | None) -> bool:
    if frequency == WEEKLY:
        return day.weekday() == weekday
    if frequency == MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(day_of_month or 1, last)
    return True


def next_run(
    after: dt.datetime,
    *,
    frequency: str,
    time_of_day: dt.time,
    zone: str,
    weekday: int | None = None,
    day_of_month: int | None = None,
) -> dt.datetime:
    """The first scheduled moment strictly after `after` (aware), in UTC."""
    tz = zone_of(zone)
    day = after.astimezone(tz).date() - dt.timedelta(days=1)  # a gap may pull yesterday's in
    for _i in range(400):  # a month and a half at most for monthly; the bound is a guard
        if _matches(day, frequency, weekday, day_of_month):
            local = dt.datetime.combine(day, time_of_day.replace(tzinfo=None), tzinfo=tz)
            moment = local.astimezone(dt.UTC)
            if moment > after:
                return moment
        day += dt.timedelta(days=1)
    raise ValueError("no scheduled moment found")  # unreachable for valid settings
