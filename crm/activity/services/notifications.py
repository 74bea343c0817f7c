"""Notifications: in the app always, by email when the person wants it for that kind.

`notify` is called by the event consumer (mentions, assignments, deals) and by the reminder
sweep; email goes out through a Celery task once the notification is committed.
"""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from crm import after_commit
from crm.accounts.models import Membership, User
from crm.activity import emails, selectors
from crm.activity.models import Event, Notification, NotificationPreference, Task
from crm.activity.tasks import send_notification_emails
from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import Tenant


def _tenant() -> Tenant:
    return Tenant.objects.get(pk=require_tenant_id())


def language_of(user: User, tenant: Tenant) -> str:
    return user.language or tenant.language


def notify(
    *,
    recipient: User,
    kind: str,
    title: str,
    url: str = "",
    event: Event | None = None,
    email: bool | None = None,
) -> Notification | None:
    """A notification for an active member of the current workspace (others get none).
    Call it inside the transaction of what caused it: the email is queued on commit.

    `email` is for a caller that has already asked `selectors.member_email_wanted` (a batch
    of automation steps notifying the same person): the person is a member, and this is
    whether they want it by email. Left out, it is looked up here."""
    if email is None:
        email = selectors.member_email_wanted(recipient.pk, kind)
    if email is None:
        return None
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, title=title[:300], url=url[:500], event=event
    )
    if email:
        _mail_on_commit(notification.tenant_id, notification.pk)
    return notification


class _Mailing:
    """The notifications one transaction makes, mailed by one task once it commits: a rule
    notifying a thousand owners enqueues one message, not a thousand. Each notification
    registers a flush; the first to run takes them all, the others find nothing left."""

    def __init__(self):
        self.waiting: dict[int, list[int]] = {}
        self.last = None  # the latest flush registered

    def flush(self) -> None:
        waiting, self.waiting = self.waiting, {}
        for tenant_id, ids in waiting.items():
            send_notification_emails.delay(tenant_id, ids)


def _mail_on_commit(tenant_id: int, notification_id: int) -> None:
    connection = transaction.get_connection()
    mailing = getattr(connection, "crm_mailing", None)
    # A new mailing when the last flush is no longer registered: its transaction rolled
    # back (its ids went with it), or a savepoint did (the flushes registered before that
    # still mail the ids they cover; an id from the savepoint may ride along, and its task
    # finds no row and skips it).
    if mailing is None or not any(
        cb is mailing.last for _s, cb, _r in reversed(connection.run_on_commit)
    ):
        mailing = connection.crm_mailing = _Mailing()
    mailing.waiting.setdefault(tenant_id, []).append(notification_id)

    flush = after_commit.guard(mailing.flush, "notification emails")
    mailing.last = flush
    transaction.on_commit(flush)


def notification_read(*, actor: Membership, notification: Notification) -> Notification:
    if notification.recipient_id != actor.user_id:
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at=None).update(
            read_at=notification.read_at
        )
    return notification


def notifications_read_all(*, actor: Membership) -> int:
    return Notification.objects.filter(recipient=actor.user, read_at=None).update(
        read_at=timezone.now()
    )


@transaction.atomic
def preferences_save(*, actor: Membership, email: dict[str, bool]) -> None:
    """Email on or off per kind, for the actor in this workspace (in-app is always on)."""
    kinds = dict(Notification.KINDS)
    for kind, wanted in email.items():
        if kind in kinds:
            NotificationPreference.objects.update_or_create(
                user=actor.user, kind=kind, defaults={"email": bool(wanted)}
            )


# --- reminders --------------------------------------------------------------------------


def reminder_title(task: Task, tenant: Tenant) -> str:
    user = task.assignee
    tz = zoneinfo.ZoneInfo(user.time_zone or tenant.time_zone or "UTC")
    with translation.override(language_of(user, tenant)):
        if task.all_day:
            when = formats.date_format(task.due_date, "SHORT_DATE_FORMAT")
        else:
            local = timezone.localtime(task.due_at, tz)
            when = formats.date_format(local, "SHORT_DATETIME_FORMAT")
        return _("Reminder: %(task)s, %(when)s") % {"task": task.title, "when": when}


def task_url(task: Task) -> str:
    """A reminder opens its task, which links on to its record when the person may see it
    (a task of theirs may be about a colleague's record)."""
    return reverse("task_edit", args=[task.pk])


def reminders_deliver_due(*, limit: int = 200) -> int:
    """Deliver the current workspace's due reminders, once per task: rows another sweep is
    working on are skipped, and `reminded_at` is set in the same transaction."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Task.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("assignee")
            .filter(remind_at__lte=now, reminded_at=None, done_at=None)
            .order_by("remind_at", "id")[:limit]
        )
        if not due:
            return 0
        tenant = _tenant()
        for task in due:
            task.reminded_at = now
            if task.assignee is not None:
                notify(
                    recipient=task.assignee,
                    kind=Notification.REMINDER,
                    title=reminder_title(task, tenant),
                    url=task_url(task),
                )
        Task.objects.bulk_update(due, ["reminded_at"])
    return len(due)


def notification_email_send(*, notification_id: int) -> bool:
    """Mail one notification, once: guarded by `emailed_at` under a row lock."""

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient", "tenant")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at is not None:
            return False
        if not selectors.email_wanted(notification.recipient_id, notification.kind):
            return False  # turned off meanwhile
        emails.send_notification(notification)
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True
