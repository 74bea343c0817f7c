"""A dry run, "test on this deal": which rules would fire on a record now, as if it had just
had each rule's trigger event (entered its stage, say), and what each action would do.
Nothing is written: the actions' `describe` is called, never `run`. A branch says which arm
it would take (its conditions on the record now), and lists both arms' actions."""

from __future__ import annotations

from types import SimpleNamespace

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import automations, objects
from crm.accounts.system import system_actor
from crm.automations import Context, Invalid

from . import conditions, delays, plan, wait
from . import spec as specs
from .models import Rule


def _event(trigger, record, object_type: str):
    shape = trigger.simulate(record) if trigger.simulate else {}
    return SimpleNamespace(
        pk=None, id=None, type=shape.get("type", trigger.events[0]), subject_type=object_type,
        subject_id=record.pk, data=shape.get("data", {}), cause=None,
        tenant_id=record.tenant_id, actor_id=None,
    )  # fmt: skip


def dry_run(*, membership, object_type: str, object_id: int, rule_id: int | None = None):
    spec = objects.get(object_type)
    if spec is None or spec.records is None:
        raise Http404
    record = spec.records(membership).filter(pk=object_id).first()  # what the member sees
    if record is None:
        raise Http404
    rules = Rule.objects.select_related("version").filter(version__isnull=False)
    rules = rules.filter(pk=rule_id) if rule_id else rules.filter(is_active=True)
    actor = system_actor(membership.tenant)
    zone = membership.tenant.time_zone
    out = []
    for rule in rules.order_by("position", "id"):
        if rule.version.spec["trigger"]["type"] not in automations.TRIGGERS:
            continue
        trigger, params = specs.trigger_of(rule.version.spec)
        if trigger.object_type != object_type:
            continue
        event = _event(trigger, record, object_type)
        fires, reason = True, ""
        if record.pk not in trigger.records(event, params):
            fires, reason = False, _("Its trigger does not apply to this record now.")
        elif not conditions.holds(rule.version.spec.get("conditions"), object_type,
                                  record.pk, event):  # fmt: skip
            fires, reason = False, _("Its conditions do not hold.")
        ctx = Context(actor=actor, object_type=object_type, object_id=record.pk, event=event,
                      rule_id=rule.pk, rule_name=rule.name, dry_run=True)  # fmt: skip
        out.append({
            "rule": rule.pk, "name": rule.name, "is_active": rule.is_active,
            "trigger": trigger.key, "fires": fires, "reason": reason,
            "actions": _actions(rule.version.spec["actions"], ctx, record, zone),
        })  # fmt: skip
    return {"object_type": object_type, "object_id": record.pk, "rules": out}


def _actions(actions: list, ctx: Context, record, zone: str) -> list[dict]:
    nodes = plan.flatten(actions)
    numbers = {id(n.raw): i for i, n in enumerate(nodes)}  # each item's step number
    return _described(actions, numbers, ctx, record, zone, timezone.now())[0]


def _described(actions, numbers, ctx, record, zone, start) -> tuple[list[dict], object]:
    described = []
    for raw in actions:
        i = numbers[id(raw)]
        ctx.step = i
        due = delays.due_at(raw.get("delay"), start=start, zone_name=zone,
                            object_type=ctx.object_type, object_id=record.pk)  # fmt: skip
        if due:
            start = due
        if plan.is_branch(raw):
            holds = conditions.holds(raw.get("conditions"), ctx.object_type, record.pk, ctx.event)
            arm = "then" if holds else "else"
            item = {"index": i, "type": plan.BRANCH, "label": str(plan.LABEL), "error": "",
                    "branch": arm, "does": _("Would take: %(arm)s.") % {
                        "arm": plan.ARM_LABELS[arm]}}  # fmt: skip
            for name in plan.ARMS:  # both arms, the one taken timed from here
                item[name], after = _described(raw.get(name) or [], numbers, ctx, record,
                                               zone, start)  # fmt: skip
                if name == arm:
                    start_after = after
            start = start_after
        else:
            action, params = specs.action_params(raw)
            item = {"index": i, "type": action.key, "label": str(action.label), "error": ""}
            try:
                action.validate(params)
                if action.key == wait.KEY:  # what it does is its delay, which params lack
                    item["does"] = wait.describe(raw.get("delay"), ctx.object_type)
                else:
                    item["does"] = (
                        str(action.describe(ctx, params)) if action.describe else str(action.label)
                    )
            except Invalid as exc:
                item["does"], item["error"] = str(action.label), str(exc.message)
            if raw.get("conditions"):
                item["conditions_hold"] = conditions.holds(raw["conditions"], ctx.object_type,
                                                           record.pk, ctx.event)  # fmt: skip
        item["due_at"] = due.isoformat() if due else None
        described.append(item)
    return described, start
