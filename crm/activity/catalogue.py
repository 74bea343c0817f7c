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

    @property
    def family(self) -> str:
        return self.type.split(".", 1)[0]


EVENT_TYPES: dict[str, EventType] = {}


def declare(type: str, label, *, subject: str, payload=(), audience: str = SUBJECT) -> None:
    if type in EVENT_TYPES:
        raise ValueError(f"event type {type!r} is declared twice")
    if audience not in (SUBJECT, MEMBERS, MANAGERS):
        raise ValueError(f"unknown audience {audience!r}")
    EVENT_TYPES[type] = EventType(type, label, subject, frozenset(payload), audience)


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


def unknown_in(subscription) -> list[str]:
    """Entries of a subscription that name no declared type or family."""
    if subscription == ALL:
        return []
    families = {f"{t.family}.*" for t in EVENT_TYPES.values()}
    return [s for s in subscription if s not in EVENT_TYPES and s not in families]
