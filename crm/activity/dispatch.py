"""Delivering each event once to each registered consumer.

Each consumer runs in its own transaction together with the EventDelivery row that records
it, under a lock on the event row. If the process dies midway, the consumer's work and its
delivery row roll back together, and the next run (task retry or the outbox sweep) resumes
with the consumers not yet delivered: nothing lost, nothing delivered twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import catalogue
from .models import Event, EventDelivery

log = logging.getLogger(__name__)

CONSUMERS: dict[str, Callable[[Event], None]] = {}
SUBSCRIPTIONS: dict[str, object] = {}  # consumer name -> catalogue.ALL or a set of types


def consumer(name: str, *, types=catalogue.ALL):
    """Register `fn(event)` to receive the events of `types` (exact types, "family.*", or
    catalogue.ALL) of every tenant."""

    def register(fn):
        CONSUMERS[name] = fn
        SUBSCRIPTIONS[name] = types if types == catalogue.ALL else frozenset(types)
        return fn

    return register


def consumers_of(type: str) -> list[tuple[str, Callable[[Event], None], str | None]]:
    """(name, fn, expanded type) of the consumers of `type`. The expanded type is set for a
    consumer that takes a batch type's records one by one (catalogue.declare `expands_to`)."""
    spec = catalogue.get(type)
    into = spec.expands_to if spec else None
    out = []
    for name, fn in CONSUMERS.items():
        subscription = SUBSCRIPTIONS.get(name, catalogue.ALL)
        if catalogue.matches(subscription, type):
            out.append((name, fn, None))
        elif into and catalogue.matches(subscription, into):
            out.append((name, fn, into))
    return out


def expand(event: Event, into: str) -> Iterator[Event]:
    """One `into` event per record of a batch event, unsaved: it shares the batch's id (what
    a consumer stores as its event is the batch, e.g. "Contacts imported" on each card)."""
    subject = catalogue.get(into).subject
    for first, last in event.data.get("ids", ()):
        for pk in range(first, last + 1):
            yield Event(
                pk=event.pk,
                tenant_id=event.tenant_id,
                type=into,
                actor_id=event.actor_id,
                subject_type=subject,
                subject_id=pk,
                related=[],
                data={"batch": event.type},
                created_at=event.created_at,
            )


MAX_ATTEMPTS = 10  # then the event waits, visible with its error, for someone to look


def dispatch(event_id: int) -> bool:
    """Deliver one event to the consumers that have not had it. True when all have."""
    errors = []
    event_type = Event.objects.filter(pk=event_id).values_list("type", flat=True).first()
    if event_type is None:
        return False
    for name, fn, into in consumers_of(event_type):
        try:
            with transaction.atomic():
                event = Event.objects.select_for_update().filter(pk=event_id).first()
                if event is None or event.dispatched_at is not None:
                    return event is not None
                if EventDelivery.objects.filter(event=event, consumer=name).exists():
                    continue
                # A batch is delivered whole or not at all: one transaction, one delivery row.
                for one in expand(event, into) if into else (event,):
                    fn(one)
                EventDelivery.objects.create(event=event, consumer=name)
        except Exception as exc:
            errors.append(f"{name}: {exc!r}")
            log.exception("consumer %s failed on event %s; it will be retried", name, event_id)
    if errors:
        Event.objects.filter(pk=event_id).update(
            attempts=F("attempts") + 1, last_error="\n".join(errors)[:2000]
        )
        return False
    Event.objects.filter(pk=event_id, dispatched_at__isnull=True).update(
        dispatched_at=timezone.now()
    )
    return True


def pending_event_ids(older_than_seconds: int = 0, limit: int = 500) -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        Event.objects.filter(
            dispatched_at__isnull=True, created_at__lte=cutoff, attempts__lt=MAX_ATTEMPTS
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def dispatch_pending(older_than_seconds: int = 0) -> int:
    """Dispatch what is pending in the current tenant; returns how many completed."""
    return sum(dispatch(event_id) for event_id in pending_event_ids(older_than_seconds))
