"""Automation's Celery tasks: thin, ids only, in the workspace's scope.

`run_steps` runs the steps an event made due now (enqueued by the engine on commit);
`sweep_steps` (beat, every few seconds) finds the workspaces with due steps, delayed ones
and those whose task was lost, and fans out `run_due_steps` to them. Steps live in the
database, not in Celery's ETA, so a restart of the workers or of beat loses none.
"""

import time

from celery import shared_task
from django.core.cache import cache

from crm import automations
from crm.tenancy.tasks import for_each_tenant, tenant_task

from . import executor, index
from .models import Step

# A workspace with a sweep under way gets no second one until it ends (or this expires).
LEASE_SECONDS = 60
# How long one task keeps taking batches before it leaves the rest to the next.
TASK_SECONDS = 20
PARALLEL = 4  # tasks per busy workspace, sharing its due steps through SKIP LOCKED


def _lease(tenant_id: int) -> str:
    return f"automation:sweeping:{tenant_id}"


@tenant_task(name="automation.run_steps", acks_late=True)
def run_steps(tenant_id: int, step_ids: list[int]) -> int:
    return executor.run_due(step_ids, limit=len(step_ids))


@tenant_task(name="automation.run_due_steps", acks_late=True)
def run_due_steps(tenant_id: int) -> int:
    total, started = 0, time.monotonic()
    try:
        while time.monotonic() - started < TASK_SECONDS:
            done = executor.run_due()
            total += done
            if not done:
                break
    finally:
        cache.delete(_lease(tenant_id))
    return total


def _sweep_one(tenant_id: int) -> int:
    from django.utils import timezone

    due = Step.objects.filter(status=Step.PENDING, due_at__lte=timezone.now())
    count = len(due.values_list("id", flat=True)[: executor.BATCH * PARALLEL])
    if not count or not cache.add(_lease(tenant_id), 1, LEASE_SECONDS):
        return 0
    for _ in range(min(PARALLEL, -(-count // executor.BATCH))):
        run_due_steps.delay(tenant_id)
    return count


@shared_task(name="automation.sweep_steps")
def sweep_steps() -> int:
    """Beat: the workspaces with due steps get tasks that run them."""
    return for_each_tenant(_sweep_one)


def _sweep_triggers_one(tenant_id: int) -> int:
    """The workspace's triggers on time passing ("idle for N days") emit their due events.
    A workspace with no such rule costs its cached rule index (a Redis read), no query."""
    rules = index.for_tenant(tenant_id).swept
    if not rules or not cache.add(_trigger_lease(tenant_id), 1, LEASE_SECONDS):
        return 0
    total = 0
    try:
        for key, compiled in rules.items():
            trigger = automations.trigger(key)
            if trigger is not None and trigger.sweep is not None:
                total += trigger.sweep([rule.params for rule in compiled]) or 0
    finally:
        cache.delete(_trigger_lease(tenant_id))
    return total


def _trigger_lease(tenant_id: int) -> str:
    return f"automation:sweeping-triggers:{tenant_id}"


@shared_task(name="automation.sweep_triggers")
def sweep_triggers() -> int:
    """Beat: the events of triggers on time passing, workspace by workspace."""
    return for_each_tenant(_sweep_triggers_one)
