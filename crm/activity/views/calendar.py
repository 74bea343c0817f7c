"""The calendar (a week or a month, one person's or a head's whole team) and the private
iCal feed."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections import defaultdict

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from crm.tenancy.context import tenant_scope
from crm.web.decorators import can_view
from crm.web.params import parse_date

from .. import ical, selectors
from .common import tz


def _week_start(day: dt.date) -> dt.date:
    first = int(formats.get_format("FIRST_DAY_OF_WEEK"))  # 0 Sunday, 1 Monday
    python_first = (first - 1) % 7  # Python: Monday is 0
    return day - dt.timedelta(days=(day.weekday() - python_first) % 7)


def _add_months(day: dt.date, n: int) -> dt.date:
    month = day.month - 1 + n
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, pycalendar.monthrange(year, month)[1]))


def _people(request, people):
    """Whose tasks to show: ?who= empty (me), a colleague's id, or "team"."""
    who = request.GET.get("who", "")
    if who == "team":
        return people, "team"
    if who:
        chosen = [u for u in people if str(u.pk) == who]
        if not chosen:
            raise Http404  # not someone whose calendar this member may open
        return chosen, who
    return [u for u in people if u.pk == request.user.pk] or [request.user], ""


@can_view("task")
def calendar(request):
    view = "month" if request.GET.get("view") == "month" else "week"
    today = timezone.localdate()
    anchor = parse_date(request.GET.get("date"), "date") or today
    everyone = selectors.calendar_people(request.membership)
    people, who = _people(request, everyone)
    if view == "week":
        first = _week_start(anchor)
        last = first + dt.timedelta(days=6)
        prev_date, next_date = anchor - dt.timedelta(days=7), anchor + dt.timedelta(days=7)
    else:
        month_first = anchor.replace(day=1)
        first = _week_start(month_first)
        month_last = _add_months(month_first, 1) - dt.timedelta(days=1)
        last = _week_start(month_last) + dt.timedelta(days=6)
        prev_date, next_date = _add_months(month_first, -1), _add_months(month_first, 1)
    zone = tz()
    tasks = selectors.calendar_tasks(request.membership, people, first, last, zone)
    by_day = defaultdict(list)
    now = timezone.now()
    for task in tasks:
        task.overdue = selectors.is_overdue(task, now, today)
        by_day[selectors.task_local_day(task, zone)].append(task)
    days = []
    day = first
    while day <= last:
        days.append(
            {
                "date": day,
                "tasks": by_day.get(day, []),
                "today": day == today,
                "other_month": view == "month" and day.month != anchor.month,
            }
        )
        day += dt.timedelta(days=1)
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]

    def link(**params):
        base = {"view": view, "date": anchor.isoformat(), "who": who}
        base.update(params)
        return reverse("calendar") + "?" + urlencode({k: v for k, v in base.items() if v})

    return render(
        request,
        "activity/calendar.html",
        {
            "view": view,
            "weeks": weeks,
            "days": days,
            "anchor": anchor,
            "first": first,
            "last": last,
            "people": everyone,
            "shown": people,
            "who": who,
            "multi": len(people) > 1,
            "prev_url": link(date=prev_date.isoformat()),
            "next_url": link(date=next_date.isoformat()),
            "today_url": link(date=today.isoformat()),
            "week_url": link(view="week"),
            "month_url": link(view="month"),
            "can_create": request.membership.can("task", "create"),
            "can_edit": request.membership.can("task", "edit"),
        },
    )


@require_GET
def calendar_feed(request, token):
    """GET /calendar/<token>.ics, no login: the token's person's tasks in the workspace the
    token names, read inside that workspace's scope."""
    tenant_id = selectors.feed_tenant_id(token)
    if tenant_id is None:
        raise Http404
    with tenant_scope(tenant_id):
        feed = selectors.calendar_feed_resolve(token)
        if feed is None:
            raise Http404
        with tenant_scope(tenant_id, feed.user):
            body = ical.feed_for(feed)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="tasks.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
