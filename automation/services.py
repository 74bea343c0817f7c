"""Every write to rules and runs: create, edit (a new version), switch on or off, reorder,
delete; retry a failed step. Keyword-only, the acting membership first, one transaction,
an event each. Only admins and roles granted "automation" may.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import after_commit, automations
from crm.activity.events import emit

from . import index, plan
from . import spec as specs
from .models import Rule, RuleVersion, Run, Step


def can(actor, action: str = "view") -> bool:
    """Admins, and the roles granted this action on "automation" (the role editor)."""
    return bool(actor.role.can_manage_workspace or actor.can("automation", action))


def require(actor, action: str) -> None:
    if not can(actor, action):
        raise PermissionDenied(_("Your role does not allow this."))


def _name(value) -> str:
    name = (value or "").strip() if isinstance(value, str) else ""
    if not name:
        raise ValidationError({"name": _("Give the rule a name.")})
    if len(name) > 200:
        raise ValidationError({"name": _("Keep the name under 200 characters.")})
    return name


def _validated(spec: dict, pipeline_id: int | None) -> tuple[dict, int | None, int | None]:
    funnels = Rule._meta.get_field("pipeline").related_model.objects
    if pipeline_id is not None and not funnels.filter(pk=pipeline_id).exists():
        raise ValidationError({"pipeline": _("No such funnel.")})
    try:
        clean = specs.validate(spec, pipeline_id=pipeline_id)
    except specs.SpecInvalid as exc:
        raise ValidationError(exc.errors) from None
    trigger, params = specs.trigger_of(clean)
    scope_pipeline, scope_stage = trigger.scope(params)
    return clean, pipeline_id or scope_pipeline, scope_stage


def _new_version(actor, rule: Rule, spec: dict) -> RuleVersion:
    last = rule.versions.aggregate(n=Max("number"))["n"] or 0
    version = RuleVersion.objects.create(
        rule=rule, number=last + 1, spec=spec, created_by=actor.user
    )
    rule.version = version
    rule.trigger = spec["trigger"]["type"]
    return version


@transaction.atomic
def rule_create(*, actor, name, spec: dict, pipeline_id: int | None = None,
                is_active: bool = True) -> Rule:  # fmt: skip
    require(actor, "create")
    name = _name(name)
    clean, pipeline_id, stage_id = _validated(spec, pipeline_id)
    last = Rule.objects.filter(stage_id=stage_id).aggregate(p=Max("position"))["p"]
    rule = Rule.objects.create(
        name=name, pipeline_id=pipeline_id, stage_id=stage_id, trigger=clean["trigger"]["type"],
        is_active=bool(is_active), position=0 if last is None else last + 1,
        created_by=actor.user,
    )  # fmt: skip
    _new_version(actor, rule, clean)
    rule.save(update_fields=["version", "trigger"])
    emit("automation.rule_created", actor=actor.user, subject=rule,
         data={"name": name, "version": 1})  # fmt: skip
    index.invalidate(rule.tenant_id)
    return rule


def _locked(rule: Rule | int) -> Rule:
    pk = getattr(rule, "pk", rule)
    return Rule.objects.select_for_update(of=("self",)).select_related("version").get(pk=pk)


@transaction.atomic
def rule_update(*, actor, rule: Rule, data: dict) -> Rule:
    """Change the name, the switch, and (a new version) the spec. `data` holds what
    changes: name, is_active, pipeline, and any of trigger / conditions / actions."""
    require(actor, "edit")
    rule = _locked(rule)
    changes = {}
    if "name" in data:
        name = _name(data["name"])
        if name != rule.name:
            changes["name"] = [rule.name, name]
            rule.name = name
    if "is_active" in data and bool(data["is_active"]) != rule.is_active:
        changes["is_active"] = [rule.is_active, bool(data["is_active"])]
        rule.is_active = bool(data["is_active"])
    parts = {k: data[k] for k in ("trigger", "conditions", "actions") if k in data}
    if parts or "pipeline" in data:
        current = rule.version.spec if rule.version else {}
        spec = {**{k: current.get(k) for k in ("trigger", "conditions", "actions")}, **parts}
        pipeline_id = data.get("pipeline", rule.pipeline_id)
        clean, pipeline_id, stage_id = _validated(spec, pipeline_id)
        if clean != current or pipeline_id != rule.pipeline_id:
            version = _new_version(actor, rule, clean)
            rule.pipeline_id, rule.stage_id = pipeline_id, stage_id
            changes["version"] = [version.number - 1, version.number]
    if changes:
        rule.updated_at = timezone.now()
        rule.save()
        emit("automation.rule_updated", actor=actor.user, subject=rule,
             data={"name": rule.name, "changes": changes})  # fmt: skip
        index.invalidate(rule.tenant_id)
    return rule


@transaction.atomic
def rule_delete(*, actor, rule: Rule) -> None:
    """The rule, its versions and its history go; steps still waiting are dropped with it."""
    require(actor, "delete")
    rule = _locked(rule)
    emit("automation.rule_deleted", actor=actor.user, subject=rule, data={"name": rule.name})
    rule.delete()
    index.invalidate(actor.tenant_id)


@transaction.atomic
def rules_reorder(*, actor, rule_ids: list[int]) -> list[Rule]:
    """The rules in this order (positions 0, 1, ...), for a stage's column or a list; ids
    of rules not in the workspace are an error."""
    require(actor, "edit")
    ids = list(dict.fromkeys(rule_ids))
    rules = {r.pk: r for r in Rule.objects.select_for_update().filter(pk__in=ids)}
    if len(rules) != len(ids):
        raise ValidationError({"rules": _("Some of these rules do not exist.")})
    for position, pk in enumerate(ids):
        rules[pk].position = position
    Rule.objects.bulk_update(rules.values(), ["position"])
    index.invalidate(actor.tenant_id)
    return [rules[pk] for pk in ids]


@transaction.atomic
def step_retry(*, actor, run: Run) -> Run:
    """Run the failed step of a failed run again (now), and what follows it: from where the
    run had got to, when the step failed after later ones were written (a message the
    channel refused after its step was done; executor.delivery_failed)."""
    require(actor, "edit")
    run = Run.objects.select_for_update(of=("self",)).get(pk=run.pk)
    step = Step.objects.select_for_update().filter(run=run, status=Step.FAILED).first()
    if run.status != Run.FAILED or step is None:
        raise ValidationError({"run": _("Only a failed run can be retried.")})
    step.status, step.error, step.due_at, step.done_at = Step.PENDING, "", timezone.now(), None
    step.result = {"retried": True}  # the executor goes on with schedule.resume
    step.save(update_fields=["status", "error", "due_at", "done_at", "result"])
    run.status, run.error, run.finished_at = Run.PENDING, "", None
    run.save(update_fields=["status", "error", "finished_at"])
    tenant_id, step_id = run.tenant_id, step.pk

    def enqueue():
        from .tasks import run_steps

        run_steps.delay(tenant_id, [step_id])

    after_commit.send(enqueue, "a retried step")
    return run


def catalogue() -> dict:
    """What rules are made of, for an editor to render its forms from: triggers and actions
    with labels and JSON schemas of their parameters, and the operators of conditions."""
    from crm import objects

    from . import conditions, delays

    def schema(model):
        return model.model_json_schema()

    triggers = []
    for t in automations.TRIGGERS.values():
        spec = objects.get(t.object_type)
        triggers.append({
            "type": t.key, "label": str(t.label), "help": str(t.help), "events": list(t.events),
            "object_type": t.object_type,
            "object_label": str(spec.label) if spec else t.object_type,
            "params": schema(t.params),
        })  # fmt: skip
    actions = [
        {"type": a.key, "label": str(a.label), "help": str(a.help),
         "object_types": list(a.object_types), "params": schema(a.params)}
        for a in automations.ACTIONS.values()
    ]  # fmt: skip
    return {
        "triggers": triggers,
        "actions": actions,
        # An if/else step (spec.py): conditions as a rule's, and two lists of actions.
        "branch": {
            "type": plan.BRANCH,
            "label": str(plan.LABEL),
            "arms": list(plan.ARMS),
            "arm_labels": {k: str(v) for k, v in plan.ARM_LABELS.items()},
        },
        "operators": {
            "labels": {k: str(v) for k, v in conditions.OPERATOR_LABELS.items()},
            "by_field_type": {k: sorted(v) for k, v in conditions.OPS_BY_TYPE.items()},
        },
        "delay": schema(delays.Delay),
        "fields": {t: fields_of(t) for t in {t.object_type for t in automations.TRIGGERS.values()}},
    }


def fields_of(object_type: str) -> list[dict]:
    """The fields conditions may read on a record type, custom ones included."""
    from crm import objects

    from . import conditions

    spec = objects.get(object_type)
    if spec is None:
        return []
    return [
        {"key": f.key, "label": str(f.label), "type": f.type, "custom": f.custom,
         "choices": [[v, str(label)] for v, label in f.choices],
         "operators": sorted(conditions.OPS_BY_TYPE.get(f.type, conditions.COMMON))}
        for f in spec.catalogue()
    ]  # fmt: skip
