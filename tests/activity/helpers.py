"""Helpers shared by the task, calendar, comment and notification tests."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from crm.accounts import services as account_services
from crm.activity import services
from crm.tenancy.context import tenant_scope


def new_task(actor, *, title="Call the client", hours=2, day=None, **extra):
    """A task made through the service: due in `hours`, or all day on `day`."""
    with tenant_scope(actor.tenant_id, actor.user):
        if day is not None:
            return services.task_create(
                actor=actor, title=title, all_day=True, due_date=day, **extra
            )
        due = timezone.now() + dt.timedelta(hours=hours)
        return services.task_create(actor=actor, title=title, due_at=due, **extra)


def department_headed_by(head, *members, name="Enterprise"):
    """A department that `head` heads, with `members` in it."""
    from crm.accounts.models import Membership

    with tenant_scope(head.tenant_id, head.user):
        dept = account_services.department_save(actor=owner_of(head), name=name, head=head.user)
        Membership.objects.filter(pk__in=[m.pk for m in members]).update(department=dept)
        return dept


def owner_of(membership):
    from crm.accounts.models import Membership

    return (
        Membership.objects.select_related("role", "user", "tenant")
        .filter(role__key="admin")
        .order_by("id")
        .first()
    )
