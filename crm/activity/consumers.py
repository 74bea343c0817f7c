"""The first consumers of the event spine: the audit trail and the timeline."""

from .dispatch import consumer
from .models import AuditEntry, Event, TimelineEntry


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
