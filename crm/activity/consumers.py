"""The consumers of the event spine: the audit trail, the timeline and notifications."""

from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from crm.accounts.models import Membership, User
from crm.tenancy.models import Tenant

from . import selectors
from .dispatch import consumer
from .models import AuditEntry, Event, Notification, TimelineEntry, hidden_title
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

    return User.objects.in_bulk([i for i in ids if i])


def _sees_subject(user_id: int, event: Event) -> bool:
    """Whether the person may see what the event is about (the rule of timelines): a
    notification about anything else tells who, never what."""

    membership = (
        Membership.objects.select_related("role").filter(user_id=user_id, is_active=True).first()
    )
    if membership is None:
        return False
    visible = selectors.subjects_visible_q(membership, prefix="")
    return Event.objects.filter(pk=event.pk).filter(visible).exists()


def _assigned(event: Event, tenant, recipient_id, kind, title, url) -> None:
    """Tell `recipient_id` that the event's actor gave them something, unless nobody was
    given it or they took it themselves. `title(who)` is called in the recipient's language."""
    if not recipient_id or recipient_id == event.actor_id:
        return
    people = _people(recipient_id, event.actor_id)
    recipient, actor = people.get(recipient_id), people.get(event.actor_id)
    if recipient is None:
        return
    seen = _sees_subject(recipient_id, event)
    with translation.override(recipient.language or tenant.language):
        who = actor.display_name if actor else _("The system")
        text = title(who) if seen else hidden_title(kind, who)
    notify(recipient=recipient, kind=kind, title=text, url=url if seen else "", event=event)


def _deal_assigned(event: Event, tenant) -> None:
    _assigned(
        event,
        tenant,
        event.data.get("owner_id"),
        Notification.DEAL_ASSIGNED,
        lambda who: (
            _("%(who)s assigned you the deal %(deal)s") % {"who": who, "deal": event.subject_repr}
        ),
        card_url("deal", event.subject_id),
    )


def _task_assigned(event: Event, tenant) -> None:
    if event.type == "task.created":
        assignee_id = event.data.get("assignee_id")
    else:
        pair = event.data.get("assignee_id")
        assignee_id = pair[1] if isinstance(pair, list) and len(pair) == 2 else None
    _assigned(
        event,
        tenant,
        assignee_id,
        Notification.ASSIGNMENT,
        lambda who: (
            _("%(who)s assigned you a task: %(task)s") % {"who": who, "task": event.subject_repr}
        ),
        reverse("task_edit", args=[event.subject_id]),
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
        # A mention notifies; it does not open the record: on one the person may not see,
        # neither its title nor the comment is told.
        seen = _sees_subject(user_id, event)
        with translation.override(user.language or tenant.language):
            who = actor.display_name if actor else _("Someone")
            title = hidden_title(Notification.MENTION, who)
            if seen:
                title = _("%(who)s mentioned you on %(what)s: %(text)s") % {
                    "who": who,
                    "what": event.data.get("subject_repr") or type_label(object_type),
                    "text": Truncator(event.data.get("body", "")).chars(120),
                }
        notify(
            recipient=user,
            kind=Notification.MENTION,
            title=title,
            url=f"{url}#comments" if url and seen else "",
            event=event,
        )


NOTIFIERS = {
    "deal.assigned": _deal_assigned,
    "task.created": _task_assigned,
    "task.updated": _task_assigned,
    "comment.added": _mentioned,
}


@consumer("notifications", types=NOTIFIERS)
def notify_people(event: Event) -> None:
    """Mentions, task assignments and deal assignments become notifications."""
    handler = NOTIFIERS.get(event.type)
    if handler is None:
        return
    handler(event, Tenant.objects.get(pk=event.tenant_id))
