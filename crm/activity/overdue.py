"""Tasks past due: `task.overdue`, once per task (again after it is given a new due time or
reopened, which clear `overdue_at`).

Beat runs `mark_overdue` every minute in each workspace. A task falls overdue when its due
moment has passed (a whole-day task: when its day has ended in the workspace's time zone).
Only tasks that fell overdue within the last WINDOW are announced: older ones (from before
this sweep existed, or while beat was down for days) are marked quietly, so that switching
it on does not start rules on years of forgotten tasks."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import Tenant

from .events import emit_each
from .models import Task
from .records import Ref

WINDOW = dt.timedelta(days=1)
BATCH = 1000


def _overdue_q(now: dt.datetime, today: dt.date) -> Q:
    return Q(all_day=False, due_at__lt=now) | Q(all_day=True, due_date__lt=today)


def _recent(task: Task, now: dt.datetime, today: dt.date) -> bool:
    if task.all_day:
        return task.due_date >= today - dt.timedelta(days=WINDOW.days)
    return task.due_at >= now - WINDOW


def mark_overdue() -> int:
    """Mark the workspace's tasks that fell overdue and emit task.overdue for the recent
    ones; how many were announced. Batches in their own transactions; rows another sweep
    holds are skipped, not waited for."""
    zone = Tenant.objects.values_list("time_zone", flat=True).get(pk=require_tenant_id())
    now = timezone.now()
    today = timezone.localtime(now, zoneinfo.ZoneInfo(zone or "UTC")).date()
    total = 0
    while True:
        with transaction.atomic():
            found = list(
                Task.objects.filter(_overdue_q(now, today), done_at=None, overdue_at=None)
                .select_for_update(skip_locked=True)
                .order_by("pk")[:BATCH]
            )
            if not found:
                return total
            Task.objects.filter(pk__in=[t.pk for t in found]).update(overdue_at=now)
            recent = [t for t in found if _recent(t, now, today)]
            emit_each("task.overdue", actor=None, items=[
                (task, {"assignee_id": task.assignee_id,
                        "due": (task.due_date if task.all_day else task.due_at).isoformat(),
                        "kind": task.kind},
                 [Ref(task.object_type, task.object_id)] if task.object_id else [])
                for task in recent
            ])  # fmt: skip
        total += len(recent)
