"""Template tags for the activity partials: the bell, a record's tasks and comments, due
labels and @mentions."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from crm import objects
from crm.activity import catalogue, records, selectors
from crm.activity.forms import TaskForm
from crm.activity.services.comments import MENTION
from crm.web.l10n import format_day

register = template.Library()


def _membership(context):
    request = context.get("request")
    return getattr(request, "membership", None)


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    membership = _membership(context)
    if membership is None:
        return 0
    return selectors.unread_count(membership.user)


@register.simple_tag(takes_context=True)
def member_can(context, object_type: str, action: str = "view") -> bool:
    membership = _membership(context)
    return bool(membership and membership.can(object_type, action))


@register.simple_tag(takes_context=True)
def tasks_about(context, subject_type: str, subject) -> list:
    """Open tasks about the record that the member may see."""
    membership = _membership(context)
    if membership is None or subject is None or not membership.can("task", "view"):
        return []
    return list(selectors.subject_tasks(membership, subject_type, subject.pk)[:50])


@register.simple_tag(takes_context=True)
def comments_about(context, subject_type: str, subject) -> list:
    """Comments on the record; the page has already found it through its selector."""
    if _membership(context) is None or subject is None:
        return []
    return list(selectors.comments_on(subject_type, subject.pk)[:200])


@register.simple_tag
def quick_task_form():
    return TaskForm(initial={"due_date": timezone.localdate()}, tz=timezone.get_current_timezone())


@register.filter
def subject_url(task) -> str:
    return records.card_url(task.object_type, task.object_id)


@register.filter
def other_record_event(event) -> str:
    """The event's label ("Invoice issued") when it is about a record of a registered type
    that tasks and comments do not hang on (an invoice on its deal's card), else ""."""
    if records.activity_type(event.subject_type) or event.subject_type in ("task", "comment"):
        return ""
    spec = catalogue.get(event.type)
    return str(spec.label) if spec is not None and objects.get(event.subject_type) else ""


@register.filter
def subject_label(object_type: str) -> str:
    return records.type_label(object_type)


@register.filter
def due_label(task) -> str:
    """ "Today, 14:30", "Tomorrow", "Mon, Nov 24, 09:00", in the current time zone."""
    today = timezone.localdate()
    if task.all_day:
        day, time = task.due_date, None
    else:
        local = timezone.localtime(task.due_at)
        day, time = local.date(), formats.time_format(local, "TIME_FORMAT")
    if day == today:
        text = _("Today")
    elif day == today + dt.timedelta(days=1):
        text = _("Tomorrow")
    elif day == today - dt.timedelta(days=1):
        text = _("Yesterday")
    else:
        text = format_day(day, "MMMEd" if day.year == today.year else "yMMMd")
    return f"{text}, {time}" if time else text


@register.filter
def overdue(task) -> bool:
    return selectors.is_overdue(task, timezone.now(), timezone.localdate())


@register.filter
def mentions(body: str):
    """The comment, escaped, with @mentions highlighted."""
    text = escape(body or "")
    return mark_safe(  # noqa: S308  every piece is escaped above; only <mark> is added
        MENTION.sub(lambda m: f'<mark class="mention">{m.group(0)}</mark>', text)
    )
