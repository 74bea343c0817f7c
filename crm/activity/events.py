"""Writing domain events: call `emit` inside the transaction that makes the change. The type
must be declared in the event catalogue (catalogue.py)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable

from django.db import models, transaction

from crm import after_commit

from . import catalogue
from .models import Event
from .tasks import dispatch_event, dispatch_events

# What causes the events emitted now, when it is not a person: set by whoever acts as the
# system (an automation rule's step) and stamped on every event emitted inside.
_cause: contextvars.ContextVar[dict | None] = contextvars.ContextVar("event_cause", default=None)


@contextlib.contextmanager
def caused_by(cause: dict | None):
    """Stamp `cause` (JSON) on every event emitted inside the block."""
    token = _cause.set(cause)
    try:
        yield
    finally:
        _cause.reset(token)


def subject_type(obj: models.Model) -> str:
    return getattr(obj, "event_subject_type", obj._meta.model_name)


def changes(before: dict, after: dict) -> dict:
    """{field: [old, new]} for every field whose value differs."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def snapshot(obj: models.Model, fields) -> dict:
    """Plain JSON-safe values of `fields` (foreign keys as their text)."""
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value if value is None or isinstance(value, bool | int | float) else str(value)
    return out


def _require_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name}() belongs inside the transaction of the change it records")


def _event(type: str, actor, subject: models.Model, data: dict | None, related: list) -> Event:
    """An unsaved event, its payload checked against the catalogue; `related` is
    [[type, id], ...] already."""
    data = data or {}
    catalogue.check(type, data)
    return Event(
        type=type,
        actor=actor if getattr(actor, "pk", None) else None,
        subject_type=subject_type(subject),
        subject_id=subject.pk,
        subject_repr=str(subject)[:200],
        related=related,
        data=data,
        cause=_cause.get(),
    )


def _pairs(related) -> list[list]:
    return [list(pair) for pair in dict.fromkeys((subject_type(r), r.pk) for r in related)]


def emit(
    type: str,
    *,
    actor,
    subject: models.Model,
    data: dict | None = None,
    related: list[models.Model] = (),
) -> Event:
    _require_transaction("emit")
    event = _event(type, actor, subject, data, _pairs(related))
    event.save()
    tenant_id, event_id = event.tenant_id, event.pk
    after_commit.send(lambda: dispatch_event.delay(tenant_id, event_id), "an event")
    return event


def emit_many(
    type: str,
    *,
    actor,
    subjects: list[models.Model],
    data: Callable[[models.Model], dict] | None = None,
    related: list[models.Model] = (),
) -> list[Event]:
    """One event per subject, written in one statement and dispatched by one task: for a
    change that touches many records at once (the contacts a company merge moves)."""
    _require_transaction("emit_many")
    pairs = _pairs(related)
    return _save_all([_event(type, actor, s, data(s) if data else None, pairs) for s in subjects])


def emit_each(type: str, *, actor, items: list[tuple[models.Model, dict, list]]) -> list[Event]:
    """One event per (subject, data, related) item, each with its own payload, written in
    one statement and dispatched by one task: for a batch of separate changes of one kind
    (the messages a mail poll takes in)."""
    _require_transaction("emit_each")
    return _save_all([_event(type, actor, s, d, _pairs(r)) for s, d, r in items])


def _save_all(events: list[Event]) -> list[Event]:
    if not events:
        return []
    events = Event.objects.bulk_create(events)
    tenant_id, ids = events[0].tenant_id, [e.pk for e in events]
    after_commit.send(lambda: dispatch_events.delay(tenant_id, ids), "events")
    return events
