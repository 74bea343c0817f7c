"""The engine's side of the event spine: which rules an event starts, recorded as runs.

The consumer holds the event's lock, so it only decides and records: a run per (rule
version, event, record) with its first step, and a task enqueued on commit for the steps
due now. The actions themselves run in `executor.py`.

Loop guard: an event a rule caused carries its chain (`Event.cause`: the first event's id
and the depth). A run deeper than AUTOMATION_MAX_DEPTH, or a second run of one rule on one
record in one chain, is recorded as `stopped`, naming the rules of the chain, and does
nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import after_commit, automations
from crm.activity import catalogue
from crm.activity.dispatch import consumer
from crm.tenancy.models import Tenant

from . import conditions, index, schedule
from .models import Run

DEFAULT_MAX_DEPTH = 5


def max_depth() -> int:
    return int(getattr(settings, "AUTOMATION_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def register() -> None:
    """Subscribe the engine to every event type a registered trigger listens to (called from
    automation's ready(), after every app has registered its triggers)."""
    types = automations.event_types()
    if types:
        consumer("automation", types=sorted(types))(on_event)


def chain_of(event) -> tuple[int, int]:
    """(chain id, depth of a run this event starts)."""
    cause = getattr(event, "cause", None) or {}
    if cause.get("chain"):
        return int(cause["chain"]), int(cause.get("depth", 1))
    return event.pk, 0


def matches(event) -> list[tuple[index.Compiled, int]]:
    """(rule, record id) pairs the event starts, conditions checked."""
    found = []
    for rule in index.for_tenant(event.tenant_id).candidates(event):
        object_type = rule.trigger.object_type
        for object_id in rule.trigger.records(event, rule.params):
            if conditions.holds(rule.conditions, object_type, object_id, event):
                found.append((rule, object_id))
    return found


def on_event(event) -> None:
    pairs = matches(event)
    if not pairs:
        return
    chain, depth = chain_of(event)
    tenant = Tenant.objects.get(pk=event.tenant_id)
    now = timezone.now()
    due_now = []
    for rule, object_id in pairs:
        object_type = rule.trigger.object_type
        stop = _loop(rule, object_type, object_id, chain, depth)
        run = Run.objects.create(
            rule_id=rule.rule_id,
            version_id=rule.version_id,
            event_id=event.pk,
            event_type=event.type,
            object_type=object_type,
            object_id=object_id,
            chain=chain,
            depth=depth,
            status=Run.STOPPED if stop else Run.PENDING,
            error=stop or "",
            finished_at=now if stop else None,
            created_at=now,
        )
        if stop:
            continue
        step = schedule.next_step(run, rule.actions, 0, start=now, zone=tenant.time_zone)
        if step is not None and step.due_at <= now:
            due_now.append(step.pk)
    if due_now:
        from .tasks import run_steps

        tenant_id = event.tenant_id
        after_commit.send(lambda: run_steps.delay(tenant_id, due_now), "due steps")


def _loop(rule, object_type: str, object_id: int, chain: int, depth: int) -> str:
    """Why this run must not happen (the loop guard), or ""."""
    if depth == 0:
        return ""
    earlier = Run.objects.filter(chain=chain).exclude(status=Run.STOPPED)
    again = earlier.filter(rule_id=rule.rule_id, object_type=object_type, object_id=object_id)
    if depth < max_depth() and not again.exists():
        return ""
    names = earlier.order_by("id").values_list("rule__name", flat=True)
    names = list(dict.fromkeys([*names, rule.name]))
    rules = " → ".join(f"«{n}»" for n in names)
    if depth >= max_depth():
        return _("Loop stopped: a chain of %(n)s rules in a row (%(rules)s).") % {
            "n": depth + 1,
            "rules": rules,
        }
    return _("Loop stopped: rule «%(rule)s» already ran on this record in this chain "
             "(%(rules)s).") % {"rule": rule.name, "rules": rules}  # fmt: skip


def type_label(event_type: str) -> str:
    spec = catalogue.get(event_type)
    return str(spec.label) if spec else event_type
