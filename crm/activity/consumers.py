"""The consumers of the event spine: the audit trail, the timeline and notifications."""

from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from crm.tenancy.models import Tenant

from .dispatch import consumer
from .models import AuditEntry, Event, Notification, TimelineEntry
from .records import card_url, type_label
from .services.notifications import notify


@consumer("audit")
def record_audit(event: Event) -> None:
    AuditEntry.objects.create(
        event=event,
        actor_id=event.actor_id,
        action=event.type,
        object_type=event.subject_type,
        object_id=event.subject_id,
        object_repr=event.subject_repr,
        changes=event.data.get("changes", {}),
        created_at=event.created_at,
    )


@consumer("timeline")
def record_timeline(event: Event) -> None:
    targets = {(event.subject_type, event.subject_id)}
    targets.update((kind, int(pk)) for kind, pk in event.related)
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(event=event, object_type=kind, object_id=pk, created_at=event.created_at)
            for kind, pk in sorted(targets)
        ]
    )


# --- notifications ----------------------------------------------------------------------


def _people(*ids):
    from crm.accounts.models import User

    return User.objects.in_bulk([i for i in ids if i])


def _deal_assigned(event: Event, tenant) -> None:
    owner_id = event.data.get("owner_id")
    if not owner_id or owner_id == event.actor_id:
        return  # nobody, or they took it themselves
    people = _people(owner_id, event.actor_id)
    owner, actor = people.get(owner_id), people.get(event.actor_id)
    if owner is None:
        return
    with translation.override(owner.language or tenant.language):
        title = _("%(who)s assigned you the deal %(deal)s") % {
            "who": actor.display_name if actor else _("The system"),
            "deal": event.subject_repr,
        }
    notify(
        recipient=owner,
        kind=Notification.DEAL_ASSIGNED,
        title=title,
        url=card_url("deal", event.subject_id),
        event=event,
    )


def _task_assigned(event: Event, tenant) -> None:
    if event.type == "task.created":
        assignee_id = event.data.get("assignee_id")
    else:
        pair = event.data.get("assignee_id")
        assignee_id = pair[1] if isinstance(pair, list) and len(pair) == 2 else None
    if not assignee_id or assignee_id == event.actor_id:
        return
    people = _people(assignee_id, event.actor_id)
    assignee, actor = people.get(assignee_id), people.get(event.actor_id)
    if assignee is None:
        return
    with translation.override(assignee.language or tenant.language):
        title = _("%(who)s assigned you a task: %(task)s") % {
            "who": actor.display_name if actor else _("The system"),
            "task": event.subject_repr,
        }
    notify(
        recipient=assignee,
        kind=Notification.ASSIGNMENT,
        title=title,
        url=reverse("task_edit", args=[event.subject_id]),
        event=event,
    )


def _mentioned(event: Event, tenant) -> None:
    ids = [i for i in event.data.get("mentions", []) if i != event.actor_id]
    if not ids:
        return
    people = _people(*ids, event.actor_id)
    actor = people.get(event.actor_id)
    object_type, object_id = event.data.get("object_type"), event.data.get("object_id")
    url = card_url(object_type, object_id)
    for user_id in ids:
        user = people.get(user_id)
        if user is None:
            continue
        with translation.override(user.language or tenant.language):
            title = _("%(who)s mentioned you on %(what)s: %(text)s") % {
                "who": actor.display_name if actor else _("Someone"),
                "what": event.data.get("subject_repr") or type_label(object_type),
                "text": Truncator(event.data.get("body", "")).chars(120),
            }
        notify(
            recipient=user,
            kind=Notification.MENTION,
            title=title,
            url=f"{url}#comments" if url else "",
            event=event,
        )


NOTIFIERS = {
    "deal.assigned": _deal_assigned,
    "task.created": _task_assigned,
    "task.updated": _task_assigned,
    "comment.added": _mentioned,
}


@consumer("notifications")
def notify_people(event: Event) -> None:
    """Mentions, task assignments and deal assignments become notifications."""
    handler = NOTIFIERS.get(event.type)
    if handler is None:
        return
    handler(event, Tenant.objects.get(pk=event.tenant_id))
