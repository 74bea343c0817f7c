"""Running due steps, each once.

Steps are claimed with `SELECT ... FOR UPDATE SKIP LOCKED` (concurrent workers and sweeps
take different rows), and each runs in a savepoint together with its own status update and
the next step's row: the action's database work and the record that it was done commit
together or not at all. A worker killed midway leaves the step pending, and the next sweep
runs it again from scratch, so each action happens once. Actions that reach outside the
database enqueue their work on commit, keyed by `ctx.key` (run, step).

A failing action is retried with back-off (AUTOMATION_STEP_ATTEMPTS in all), then the step
and its run are `failed`, with the error, until someone retries it. Work sent after the
commit that is refused later (a channel refusing a message) is reported back by its key
(`delivery_failed`): the step and run are failed the same way, and a retry sends again and
goes on from where the run had got to (schedule.resume).

A branch step decides its arm when it runs (its conditions, on the record as it is then),
records it in its result (`{"branch": "then"}`), and the chosen arm's steps follow.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg2.extras import execute_values

from crm import automations, objects
from crm.accounts.system import system_actor
from crm.activity.events import caused_by
from crm.activity.models import Event
from crm.automations import Context, Invalid, Stopped
from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import CURRENT_TENANT, Tenant

from . import conditions, plan, schedule
from . import spec as specs
from .models import Run, Step

log = logging.getLogger(__name__)
DEFAULT_ATTEMPTS = 3
BATCH = 50


def attempts_allowed() -> int:
    return int(getattr(settings, "AUTOMATION_STEP_ATTEMPTS", DEFAULT_ATTEMPTS))


class _LazyEvent:
    """The run's event, read only when a condition or an action asks for it."""

    def __init__(self, event_id: int):
        self._id, self._event, self._loaded = event_id, None, False

    def __getattr__(self, name):
        if not self._loaded:
            self._event = Event.objects.filter(pk=self._id).first()
            self._loaded = True
        return getattr(self._event, name, None)


def run_due(step_ids: list[int] | None = None, *, limit: int = BATCH) -> int:
    """Run the current workspace's due steps (only `step_ids`, if given), at most `limit`,
    in one transaction. Returns how many were handled."""
    now = timezone.now()
    tenant = Tenant.objects.get(pk=require_tenant_id())
    actor = system_actor(tenant)
    with transaction.atomic():
        # The steps alone, by the sweep's index (a join here would let the planner start
        # from the rule and walk every run), then their runs, rules and versions at once.
        due = (
            Step.objects.select_for_update(skip_locked=True)
            .filter(status=Step.PENDING, due_at__lte=now)
            .order_by("due_at", "id")
        )
        if step_ids is not None:
            due = due.filter(pk__in=step_ids)
        steps = list(due[:limit])
        if not steps:
            return 0
        runs = Run.objects.select_related("rule", "version").in_bulk({s.run_id for s in steps})
        records = _records(runs.values())
        memo: dict = {}  # the batch's shared lookups (Context.memo)
        for step in steps:
            step.run = runs[step.run_id]
            # A record read once: a second step on it in this batch reads it again, as the
            # first may have changed it.
            record = records.pop((step.run.object_type, step.run.object_id), None)
            execute(step, actor, tenant, record, memo=memo)
        # Each step's and run's new state, written with the actions in this transaction.
        _write_back(steps, runs.values())
    return len(steps)


def _write_back(steps: list[Step], runs) -> None:
    """Two statements for the whole batch, UPDATE ... FROM (VALUES ...): Django's
    bulk_update builds a CASE per field and row, which cost more than the steps' actions."""
    step_rows = [(s.pk, s.status, s.error, s.done_at, json.dumps(s.result, cls=DjangoJSONEncoder),
                  s.attempts, s.due_at) for s in steps]  # fmt: skip
    run_rows = [(r.pk, r.status, r.error, r.finished_at) for r in runs]
    with connection.cursor() as cursor:
        execute_values(
            cursor,
            f"""UPDATE automation_step AS s SET status = v.status, error = v.error,
                  done_at = v.done_at::timestamptz, result = v.result::jsonb,
                  attempts = v.attempts, due_at = v.due_at::timestamptz
                FROM (VALUES %s) AS v(id, status, error, done_at, result, attempts, due_at)
                WHERE s.id = v.id AND s.tenant_id = {CURRENT_TENANT}""",  # noqa: S608 (a constant)
            step_rows,
        )
        execute_values(
            cursor,
            f"""UPDATE automation_run AS r SET status = v.status, error = v.error,
                  finished_at = v.finished_at::timestamptz
                FROM (VALUES %s) AS v(id, status, error, finished_at)
                WHERE r.id = v.id AND r.tenant_id = {CURRENT_TENANT}""",  # noqa: S608 (a constant)
            run_rows,
        )


def _records(runs) -> dict:
    """The records the runs act on, one query per record type."""
    wanted: dict[str, set] = {}
    for run in runs:
        wanted.setdefault(run.object_type, set()).add(run.object_id)
    found = {}
    for object_type, ids in wanted.items():
        spec = objects.get(object_type)
        if spec is None or spec.model is None:
            continue
        for pk, record in spec.model.objects.in_bulk(ids).items():
            found[(object_type, pk)] = record
    return found


def execute(step: Step, actor, tenant, record=None, *, memo: dict | None = None) -> None:
    """One claimed step: act, then record what it did and schedule what comes next (or
    fail, or retry). The step's and run's rows are written by the caller."""
    run, rule = step.run, step.run.rule
    if run.status != Run.PENDING:
        # Not acted: a retry of the run (schedule.resume) makes it due again.
        _end_step(step, Step.SKIPPED, error=_("The run had already ended."),
                  result={"not_run": True})  # fmt: skip
        return
    if not rule.is_active:
        _end_step(step, Step.SKIPPED, error=_("The rule was switched off."))
        schedule.finish(run, Run.DONE, _("The rule was switched off."), save=False)
        return
    actions = run.version.spec["actions"]
    nodes = plan.flatten(actions)
    if step.index >= len(nodes):
        _fail(step, run, _("The rule's version has no such step."))
        return
    raw = nodes[step.index].raw
    go_on = schedule.resume if (step.result or {}).get("retried") else schedule.next_step
    ctx = Context(actor=actor, object_type=run.object_type, object_id=run.object_id,
                  event=_LazyEvent(run.event_id), rule_id=rule.pk, rule_name=rule.name,
                  run_id=run.pk, step=step.index, _record=record, memo={} if memo is None else memo,
                  count_earlier_runs=lambda: _sequence(run))  # fmt: skip
    following = {"start": timezone.now(), "zone": tenant.time_zone, "save_run": False}
    try:
        with transaction.atomic():
            result = _act(step, run, rule, raw, ctx)
            go_on(run, actions, plan.after(actions, step.index, result.get("branch")),
                  **following)  # fmt: skip
        _end_step(step, Step.DONE, result=result)
    except Stopped as why:
        run.status = Run.PENDING  # as it was: the savepoint undid what followed
        with transaction.atomic():  # a skipped branch skips both its arms
            go_on(run, actions, plan.after(actions, step.index), **following)
        _end_step(step, Step.SKIPPED, error=str(why))
    except Invalid as exc:  # an id the rule names is no longer there: retrying won't help
        run.status = Run.PENDING
        _fail(step, run, f"{exc.field}: {exc.message}" if exc.field else str(exc.message))
    except Exception as exc:  # the action's savepoint is rolled back: nothing half-done
        log.exception("automation step %s of run %s failed", step.index, run.pk)
        run.status = Run.PENDING
        step.attempts += 1
        if step.attempts >= attempts_allowed():
            _fail(step, run, repr(exc))
        else:
            step.error = repr(exc)[:2000]
            step.due_at = timezone.now() + timedelta(seconds=30 * 2 ** (step.attempts - 1))


def _act(step: Step, run: Run, rule, raw: dict, ctx: Context) -> dict:
    record = ctx.record()  # the actions' services lock what they change
    if record is None:
        raise Stopped(_("The record is gone."))
    if (
        rule.stage_id
        and raw.get("if_still_in_stage", True)
        and getattr(record, "stage_id", rule.stage_id) != rule.stage_id
    ):
        raise Stopped(_("The record has left the stage."))
    if plan.is_branch(raw):  # its conditions choose the arm, on the record as it is now
        holds = conditions.holds(raw.get("conditions"), run.object_type, run.object_id, ctx.event)
        return {"branch": "then" if holds else "else"}
    if not conditions.holds(raw.get("conditions"), run.object_type, run.object_id, ctx.event):
        raise Stopped(_("Its conditions do not hold."))
    action = automations.action(raw["type"])
    if action is None:
        raise Invalid("type", _("Unknown type: %(type)s.") % {"type": raw["type"]})
    action, params = specs.action_params(raw)
    action.validate(params)  # every id again: a stage or a person may be gone by now
    ctx._record = record
    cause = {"rule": rule.pk, "rule_name": rule.name, "run": run.pk, "chain": run.chain,
             "depth": run.depth + 1}  # fmt: skip
    with caused_by(cause):
        return action.run(ctx, params) or {}


def _sequence(run: Run) -> int:
    return (
        Run.objects.filter(rule_id=run.rule_id, id__lt=run.pk).exclude(status=Run.STOPPED).count()
    )


def delivery_failed(key: str, error: str) -> bool:
    """Work a step sent after its commit was refused (`key` is its ctx.key): the step and
    its run are failed with the error, as a failing action would be, so the run history
    shows it and a retry sends again. False when the key is not a step of this workspace."""
    parts = key.split(":")
    if len(parts) != 3 or parts[0] != "automation" or not all(p.isdigit() for p in parts[1:]):
        return False
    with transaction.atomic():
        run = Run.objects.select_for_update(of=("self",)).filter(pk=int(parts[1])).first()
        step = Step.objects.select_for_update().filter(run=run, index=int(parts[2])).first()
        if run is None or step is None or run.status == Run.STOPPED:
            return False
        step.result = {**(step.result or {}), "delivered": False}
        run.status = Run.PENDING  # _fail ends it
        _fail(step, run, error)
        step.save(update_fields=["result", "status", "error", "done_at"])
        run.save(update_fields=schedule.RUN_FIELDS)
    return True


def _end_step(step: Step, status: str, *, result=None, error: str = "") -> None:
    step.status, step.error, step.done_at = status, error[:2000], timezone.now()
    step.result = result or {}
    step.attempts += 1


def _fail(step: Step, run: Run, error: str) -> None:
    step.status, step.error, step.done_at = Step.FAILED, error[:2000], timezone.now()
    schedule.finish(
        run, Run.FAILED, _("Step %(n)s (%(action)s): %(error)s")
        % {"n": step.index + 1, "action": step.action, "error": error}, save=False,
    )  # fmt: skip
