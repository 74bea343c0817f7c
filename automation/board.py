"""The board's automation view of a funnel, as data: each stage with its stage actions (rules
whose trigger is entering it) and its triggers (rules that move deals into it), and the rules
of the funnel and the workspace that sit on no stage. Also the rule templates the view
offers."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import automations
from deals.board import colour_class
from pipelines.models import Stage

from . import plan, selectors

STAGE_TRIGGER = "deal.stage_entered"
MOVE = "deal.move"


@dataclass
class Column:
    stage: Stage
    colour: str
    actions: list = field(default_factory=list)
    triggers: list = field(default_factory=list)


def _moves_to(rule) -> set[int]:
    spec = rule.version.spec if rule.version else {}
    actions = (n.raw for n in plan.flatten(spec.get("actions", [])))  # branches' arms too
    return {a.get("stage") for a in actions if a.get("type") == MOVE}


def describe(rule, stage_names: dict | None = None) -> dict:
    """What a rule does, in words, for its entry on the board."""
    spec = rule.version.spec if rule.version else {}
    trigger = automations.trigger((spec.get("trigger") or {}).get("type", ""))
    steps = []
    for node in plan.flatten(spec.get("actions", [])):
        item = node.raw
        action = automations.action(item.get("type", ""))
        label = str(action.label) if action else item.get("type")
        if plan.is_branch(item):
            label = str(plan.LABEL)
        elif ".then." in node.path or ".else." in node.path:  # inside an arm: which one
            arm = "then" if node.path.rsplit(".", 2)[-2] == "then" else "else"
            label = f"{plan.ARM_LABELS[arm]}: {label}"
        steps.append(
            {
                "label": label,
                "title": item.get("title")
                or item.get("text")
                or item.get("tag")
                or (stage_names or {}).get(item.get("stage"))
                or "",
                "delay": delay_text(item.get("delay")),
            }
        )
    return {
        "rule": rule,
        "object_type": trigger.object_type if trigger else "",
        "trigger": str(trigger.label) if trigger else rule.trigger,
        "steps": steps,
        "conditions": bool(spec.get("conditions")),
    }


def delay_text(delay: dict | None) -> str:
    if not delay:
        return ""
    parts = []
    if delay.get("days"):
        parts.append(_("%(n)s d") % {"n": delay["days"]})
    if delay.get("hours"):
        parts.append(_("%(n)s h") % {"n": delay["hours"]})
    if delay.get("minutes"):
        parts.append(_("%(n)s min") % {"n": delay["minutes"]})
    if delay.get("at"):
        parts.append(_("at %(time)s") % {"time": str(delay["at"])[:5]})
    if delay.get("working_day"):
        parts.append(_("working day"))
    return _("after %(delay)s") % {"delay": " ".join(parts)} if parts else ""


def view(membership, pipeline) -> dict:
    """The funnel's columns and the rules beside them; two queries."""
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    columns = {s.pk: Column(s, colour_class(s)) for s in stages}
    names = {s.pk: s.name for s in stages}
    other = []
    for rule in selectors.rules_for(membership):
        entry = describe(rule, names)
        if entry["object_type"] not in ("deal", ""):
            continue  # a rule on contacts, conversations, tasks: the workspace rules page's
        if rule.stage_id in columns:
            columns[rule.stage_id].actions.append(entry)
            continue
        if rule.stage_id is not None or rule.pipeline_id not in (None, pipeline.pk):
            continue  # another funnel's
        targets = [pk for pk in _moves_to(rule) if pk in columns]
        for pk in targets:
            columns[pk].triggers.append(entry)
        if not targets:
            other.append(entry)
    return {"columns": list(columns.values()), "other": other}


@dataclass
class Group:
    object_type: str
    label: str
    rules: list = field(default_factory=list)


def workspace_view(membership) -> dict:
    """The rules outside funnels (no funnel, no stage), grouped by the records they act on:
    deals, contacts, conversations, tasks; two queries."""
    from crm import objects

    names = dict(Stage.objects.values_list("pk", "name"))
    groups: dict[str, Group] = {}
    for rule in selectors.rules_for(membership).filter(pipeline=None, stage=None):
        entry = describe(rule, names)
        kind = entry["object_type"]
        if kind not in groups:
            spec = objects.get(kind)
            groups[kind] = Group(kind, str(spec.plural) if spec else kind)
        groups[kind].rules.append(entry)
    order = {"deal": 0, "contact": 1, "conversation": 2, "task": 3}
    return {"groups": sorted(groups.values(), key=lambda g: (order.get(g.object_type, 9), g.label))}


# --- rule templates ------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    key: str
    label: object
    # "stage" (a stage action), "trigger" (moves into a stage), "workspace" (a deal rule on
    # no stage), "records" (a workspace rule on contacts, conversations, tasks)
    where: str
    make: object  # (pipeline, stage) -> (name, spec)


def _on_entering(stage, action: dict) -> dict:
    """A stage action's spec: on entering `stage`, do `action`."""
    return {"trigger": {"type": STAGE_TRIGGER, "stage": stage.pk}, "actions": [action]}


def _call_task(pipeline, stage):
    return _("Call on %(stage)s") % {"stage": stage.name}, _on_entering(
        stage,
        {
            "type": "task.create",
            "title": _("Call the client"),
            "kind": "call",
            "assignee": "owner",
            "due_in_minutes": 60,
        },
    )


def _notify_owner(pipeline, stage):
    return _("Tell the owner: %(stage)s") % {"stage": stage.name}, _on_entering(
        stage,
        {
            "type": "notify",
            "recipient": "owner",
            "text": _("Your deal entered «%(stage)s».") % {"stage": stage.name},
        },
    )


def _follow_up(pipeline, stage):
    return _("Follow up on %(stage)s") % {"stage": stage.name}, _on_entering(
        stage,
        {
            "type": "task.create",
            "title": _("Follow up with the client"),
            "kind": "call",
            "assignee": "owner",
            "due_in_minutes": 0,
            "delay": {"days": 3},
            "if_still_in_stage": True,
        },
    )


def _paid_to(pipeline, stage):
    target = (
        stage
        if stage.kind == Stage.WON
        else (Stage.objects.filter(pipeline=pipeline, kind=Stage.WON).first() or stage)
    )
    return _("Paid: move to %(stage)s") % {"stage": target.name}, {
        "trigger": {"type": "invoice.paid", "pipeline": pipeline.pk},
        "actions": [{"type": MOVE, "stage": target.pk}],
    }


def _message_to(pipeline, stage):
    return _("Client wrote: move to %(stage)s") % {"stage": stage.name}, {
        "trigger": {"type": "message.received", "pipeline": pipeline.pk},
        "actions": [{"type": MOVE, "stage": stage.pk}],
    }


def _missed_call(pipeline, stage):
    return _("Missed call: call back"), {
        "trigger": {"type": "call.missed", "pipeline": None},
        "actions": [
            {
                "type": "task.create",
                "title": _("Call back"),
                "kind": "call",
                "assignee": "owner",
                "due_in_minutes": 15,
            }
        ],
    }


def _blank_stage(pipeline, stage):
    return "", _on_entering(stage, {"type": "task.create", "kind": "task", "assignee": "owner"})


def _blank_trigger(pipeline, stage):
    return "", {"trigger": {"type": "deal.changed"}, "actions": [{"type": MOVE, "stage": stage.pk}]}


def _blank_workspace(pipeline, stage):
    return "", {
        "trigger": {"type": "deal.created", "pipeline": None},
        "actions": [{"type": "notify", "recipient": "owner"}],
    }


def _idle(pipeline, stage):
    return _("Stuck in %(stage)s") % {"stage": stage.name}, {
        "trigger": {"type": "deal.idle", "stage": stage.pk, "days": 7},
        "actions": [{"type": "task.create", "title": _("Move the deal on"), "kind": "call",
                     "assignee": "owner", "due_in_minutes": 0}],
    }  # fmt: skip


def _new_contact(pipeline, stage):
    return _("New contacts in turn"), {
        "trigger": {"type": "contact.created"},
        "actions": [{"type": "contact.assign", "mode": "round_robin"}],
    }


def _new_conversation(pipeline, stage):
    return _("New conversations to the least loaded"), {
        "trigger": {"type": "conversation.opened"},
        "actions": [{"type": "conversation.assign", "mode": "least_loaded"}],
    }


def _overdue_task(pipeline, stage):
    return _("Overdue task: tell the head of department"), {
        "trigger": {"type": "task.overdue"},
        "actions": [{"type": "notify", "recipient": "department_head",
                     "text": _("A task of your department is overdue.")}],
    }  # fmt: skip


TEMPLATES = [
    Template(
        "call", gettext_lazy("Create a call task on entering this stage"), "stage", _call_task
    ),
    Template("follow_up", gettext_lazy("Follow up in 3 days if still here"), "stage", _follow_up),
    Template("notify", gettext_lazy("Tell the owner the deal got here"), "stage", _notify_owner),
    Template(
        "idle", gettext_lazy("Remind the owner when a deal stays here 7 days"), "stage", _idle
    ),
    Template(
        "new_contact",
        gettext_lazy("Give new contacts to the team in turn"),
        "records",
        _new_contact,
    ),
    Template(
        "new_conversation",
        gettext_lazy("Give new conversations to the least loaded member"),
        "records",
        _new_conversation,
    ),
    Template(
        "overdue_task",
        gettext_lazy("Tell the head of department of an overdue task"),
        "records",
        _overdue_task,
    ),
    Template(
        "paid", gettext_lazy("When the invoice is paid, move the deal to Won"), "trigger", _paid_to
    ),
    Template(
        "message",
        gettext_lazy("When the client writes, move the deal here"),
        "trigger",
        _message_to,
    ),
    Template(
        "missed_call",
        gettext_lazy("On a missed call, create a call-back task"),
        "workspace",
        _missed_call,
    ),
    Template("blank_stage", gettext_lazy("Blank stage action"), "stage", _blank_stage),
    Template("blank_trigger", gettext_lazy("Blank trigger"), "trigger", _blank_trigger),
    Template("blank_workspace", gettext_lazy("Blank rule"), "workspace", _blank_workspace),
]
TEMPLATES_BY_KEY = {t.key: t for t in TEMPLATES}
