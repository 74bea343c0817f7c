"""What an endpoint may receive, and the body it receives.

An endpoint acts as the member who made it (its owner): an event goes out only if that
member may see it, by the event type's audience (crm/activity/catalogue.py): MEMBERS, any
active member; MANAGERS, one whose role manages the workspace; SUBJECT, one who may see the
record the event is about (the timeline's rule, `selectors.subjects_visible_q`). The data
then loses the names of related records the owner may not see, as on a timeline. An owner
who left, or whose role no longer manages the workspace, gets nothing.
"""

from __future__ import annotations

from crm.accounts.models import Membership
from crm.activity import catalogue, selectors
from crm.activity.models import Event


def owner_may_see(owner: Membership | None, event: Event) -> bool:
    if owner is None or not owner.is_active or not owner.role.can_manage_workspace:
        return False
    spec = catalogue.get(event.type)
    if spec is None:
        return False
    if spec.audience in (catalogue.MEMBERS, catalogue.MANAGERS):
        return True  # the owner is an active member who manages the workspace
    visible = selectors.subjects_visible_q(owner, prefix="")
    return Event.objects.filter(pk=event.pk).filter(visible).exists()


def body(owner: Membership, event: Event) -> dict:
    """The JSON body: the event's id, type and time, its subject and actor, and its data
    (only the fields its type declares, names the owner may not see taken out)."""
    spec = catalogue.get(event.type)
    data = selectors.event_data_seen_by(owner, event)
    declared = spec.payload if spec else frozenset()
    return {
        "id": event.pk,
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "data": {
            "subject": {
                "type": event.subject_type,
                "id": event.subject_id,
                "name": event.subject_repr,
            },
            "actor": (
                {"id": event.actor_id, "name": event.actor.display_name} if event.actor_id else None
            ),
            **{key: value for key, value in data.items() if key in declared},
        },
    }
