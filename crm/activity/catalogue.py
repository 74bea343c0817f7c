"""The event catalogue: every type of domain event, declared once by the app that emits it.

An app declares its types from `AppConfig.ready()` (its `event_types.py`): the type
("deal.stage_changed"), a label people read (automation triggers, the audit trail), the
subject type the event is about, the payload fields `data` may carry, and who may see it:

- SUBJECT: whoever may see the subject record (a deal's events: those who see the deal);
- MEMBERS: every member of the workspace (set-up everyone works with: funnels, products);
- MANAGERS: those who manage the workspace (members, roles, keys, invitations).

`emit()` refuses an undeclared type, and a payload field the type does not declare (the
check is strict under DEBUG and in tests, and logged otherwise). Consumers subscribe to the
types they want (`@consumer(name, types=[...])`), exact or by family ("deal.*").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

log = logging.getLogger(__name__)

SUBJECT, MEMBERS, MANAGERS = "subject", "members", "managers"
ALL = "*"


class UndeclaredEvent(ValueError):
    pass


@dataclass(frozen=True)
class EventType:
    type: str
    label: str
    subject: str
    payload: frozenset[str] = frozenset()
    audience: str = SUBJECT
    expands_to: str | None = None

    @property
    def family(self) -> str:
        return self.type.split(".", 1)[0]


EVENT_TYPES: dict[str, EventType] = {}


def declare(
    type: str,
    label,
    *,
    subject: str,
    payload=(),
    audience: str = SUBJECT,
    expands_to: str | None = None,
) -> None:
    """Declare an event type. A batch type (`expands_to`) stands for one event of another
    type per record: its payload carries "ids", ranges [[first, last], ...] of the records'
    ids. Consumers of the batch type get it once; those of the other type only get one event
    per record (dispatch.expand), so a set-based write such as an import is seen by a
    consumer of "contact.created" as the contacts it created."""
    if type in EVENT_TYPES:
        raise ValueError(f"event type {type!r} is declared twice")
    if audience not in (SUBJECT, MEMBERS, MANAGERS):
        raise ValueError(f"unknown audience {audience!r}")
    if expands_to is not None:
        payload = {*payload, "ids"}
    EVENT_TYPES[type] = EventType(type, label, subject, frozenset(payload), audience, expands_to)


def get(type: str) -> EventType | None:
    return EVENT_TYPES.get(type)


def check(type: str, data: dict) -> EventType:
    """The declared type, or UndeclaredEvent. Payload fields it does not declare raise
    under STRICT_EVENT_PAYLOADS (DEBUG, tests) and are logged otherwise."""
    spec = EVENT_TYPES.get(type)
    if spec is None:
        raise UndeclaredEvent(f"event type {type!r} is not declared in the catalogue")
    extra = set(data) - spec.payload
    if extra:
        message = f"event {type!r} carries undeclared payload fields {sorted(extra)}"
        if getattr(settings, "STRICT_EVENT_PAYLOADS", settings.DEBUG):
            raise UndeclaredEvent(message)
        log.warning(message)
    return spec


def matches(subscription, type: str) -> bool:
    """Whether a consumer's `types` (ALL, or exact types and "family.*") take `type`."""
    if subscription == ALL:
        return True
    family = type.split(".", 1)[0] + ".*"
    return type in subscription or family in subscription


def id_ranges(ids) -> list[list[int]]:
    """[3, 4, 5, 9] -> [[3, 5], [9, 9]]: a batch event's "ids", compact for runs of ids."""
    ranges: list[list[int]] = []
    for i in sorted(set(ids)):
        if ranges and ranges[-1][1] == i - 1:
            ranges[-1][1] = i
        else:
            ranges.append([i, i])
    return ranges


def unknown_in(subscription) -> list[str]:
    """Entries of a subscription that name no declared type or family."""
    if subscription == ALL:
        return []
    families = {f"{t.family}.*" for t in EVENT_TYPES.values()}
    return [s for s in subscription if s not in EVENT_TYPES and s not in families]
