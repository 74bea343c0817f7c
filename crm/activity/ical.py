"""A person's tasks as an iCalendar feed (RFC 5545), for Google, Apple or Outlook calendars."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar
from icalendar import Event as VEvent

from .models import CalendarFeed, Task
from .records import card_url, type_label
from .selectors import with_subject_visible

PAST_DAYS = 90
LIMIT = 2000


def _description(task: Task) -> str:
    lines = []
    if task.subject_repr and task.subject_visible:
        lines.append(f"{type_label(task.object_type)}: {task.subject_repr}")
    if task.notes:
        lines.append(task.notes)
    if task.done_at and task.completion_note:
        lines.append(_("Result: %(note)s") % {"note": task.completion_note})
    return "\n\n".join(lines)


def _event(task: Task, site: str, host: str) -> VEvent:
    event = VEvent()
    event.add("uid", f"task-{task.pk}@{host}")
    kinds = dict(Task.KINDS)
    title = task.title if task.kind == Task.TASK else f"{kinds[task.kind]}: {task.title}"
    event.add("summary", f"✓ {title}" if task.done_at else title)
    if task.all_day:
        event.add("dtstart", task.due_date)
        event.add("dtend", task.due_date + dt.timedelta(days=1))
    else:
        event.add("dtstart", task.due_at)
        event.add("dtend", task.due_at + dt.timedelta(minutes=task.duration_minutes or 30))
    event.add("dtstamp", task.updated_at)
    event.add("created", task.created_at)
    event.add("last-modified", task.updated_at)
    event.add("categories", [str(kinds[task.kind])])
    event.add("transp", "TRANSPARENT" if task.all_day or task.kind == Task.TASK else "OPAQUE")
    description = _description(task)
    if description:
        event.add("description", description)
    url = card_url(task.object_type, task.object_id) if task.subject_visible else ""
    event.add("url", site + (url or reverse("task_edit", args=[task.pk])))
    if task.reminder_minutes_before is not None and not task.done_at:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", title)
        alarm.add("trigger", dt.timedelta(minutes=-task.reminder_minutes_before))
        event.add_component(alarm)
    return event


def feed_for(feed: CalendarFeed) -> bytes:
    """The feed's person's tasks in its workspace: the last 90 days and everything ahead."""
    user, tenant = feed.user, feed.tenant
    now = timezone.now()
    since = now - dt.timedelta(days=PAST_DAYS)
    membership = getattr(feed, "membership", None)
    allowed = membership is not None and membership.can("task", "view")
    if not allowed:
        tasks = []
    else:  # the person's own tasks; the records they are about only if theirs to see
        tasks = (
            with_subject_visible(Task.objects.filter(assignee=user), membership)
            .exclude(all_day=False, due_at__lt=since)
            .exclude(all_day=True, due_date__lt=since.date())
            .order_by("-id")[:LIMIT]
        )
    site = settings.SITE_URL.rstrip("/")
    host = site.split("://", 1)[-1].split("/", 1)[0] or "crm"
    cal = Calendar()
    cal.add("prodid", "-//CRM//Tasks//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    with translation.override(user.language or tenant.language):
        cal.add("x-wr-calname", _("%(workspace)s: tasks") % {"workspace": tenant.name})
        for task in tasks:
            cal.add_component(_event(task, site, host))
    if feed.last_used_at is None or feed.last_used_at < now - dt.timedelta(minutes=10):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return cal.to_ical()
