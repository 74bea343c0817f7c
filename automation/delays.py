"""When a step falls due: an action's `delay`, from the moment the step before it ended.

    {}                                       immediately
    {"minutes": 30} / {"hours": 2} / {"days": 3}   after that long
    {"at": "09:00"}                          at the next 09:00 (after any minutes/hours/days)
    {"days": 1, "at": "09:00", "working_day": true}  the next working day at 09:00
    {"field": "expected_close", "days": -3, "at": "10:00"}  three days before a date field

Times of day are in the workspace's time zone; working days are Monday to Friday.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import Field

from crm import objects
from crm.automations import Params


class Delay(Params):
    minutes: int = Field(0, ge=0, le=60 * 24 * 366)
    hours: int = Field(0, ge=0, le=24 * 366)
    days: int = Field(0, ge=-366, le=366)
    at: dt.time | None = None
    working_day: bool = False
    field: str | None = Field(None, max_length=80)


def check_field(key: str, object_type: str, where: str) -> None:
    from .spec import SpecInvalid

    spec = objects.get(object_type)
    field = spec.field(key) if spec else None
    if field is None or field.type not in (objects.DATE, objects.DATETIME):
        raise SpecInvalid({where: [_("Choose a date field of the record.")]})


def _field_value(object_type: str, object_id: int, key: str, zone):
    spec = objects.get(object_type)
    field = spec.field(key) if spec else None
    if field is None:
        return None
    value = spec.model.objects.filter(pk=object_id).values_list(field.lookup, flat=True).first()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, zone)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(9, 0), tzinfo=zone)
    return None


def due_at(delay: dict | None, *, start, zone_name: str, object_type: str = "",
           object_id: int | None = None):  # fmt: skip
    """The moment a step with `delay` falls due, counted from `start`; None when it names a
    date field that is empty (the step is then skipped)."""
    if not delay:
        return start
    d = Delay.model_validate(delay)
    zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    base = timezone.localtime(start, zone)
    if d.field:
        base = _field_value(object_type, object_id, d.field, zone)
        if base is None:
            return None
    when = base + dt.timedelta(days=d.days, hours=d.hours, minutes=d.minutes)
    if d.at is not None:
        candidate = when.replace(hour=d.at.hour, minute=d.at.minute, second=0, microsecond=0)
        if candidate < when and not d.field:
            candidate += dt.timedelta(days=1)
        when = candidate
    if d.working_day:
        while when.weekday() >= 5:
            when += dt.timedelta(days=1)
    return when
