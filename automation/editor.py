"""The rule editor's form, rendered from the catalogue (crm/automations.py): every trigger's
and action's parameters come from their pydantic schema, so an entry an app adds is editable
without touching this module. The form posts flat names that are the spec's own places
("trigger.stage", "actions.0.title", "actions.0.delay.days", "conditions.1.op"), so the
errors the services raise (spec.py, the one validator) land on the field they name.

An if/else branch is drawn as an action of type "branch": its conditions as rows (what
chooses the arm) and its two arms as lists of ordinary actions, named by their places
("actions.1.then.0.title"); arms hold no further branches (spec.py).

`from_post(data)` turns a posted form into (name, spec); `build(...)` turns a spec (and its
errors) into the fields a template draws.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import automations
from crm.web import params

from . import conditions as condition_ops
from . import delays, plan, services, wait

# The parameters' labels, by name, translated (schemas carry English titles only).
LABELS = {
    "stage": gettext_lazy("Stage"),
    "pipeline": gettext_lazy("Funnel"),
    "field": gettext_lazy("Field"),
    "days": gettext_lazy("Days"),
    "title": gettext_lazy("Title"),
    "kind": gettext_lazy("Kind"),
    "assignee": gettext_lazy("For whom"),
    "recipient": gettext_lazy("Whom to notify"),
    "user": gettext_lazy("Person"),
    "role": gettext_lazy("Role"),
    "department": gettext_lazy("Department"),
    "due_in_minutes": gettext_lazy("Due in, minutes"),
    "notes": gettext_lazy("Notes"),
    "text": gettext_lazy("Text"),
    "body": gettext_lazy("Comment"),
    "allow_back": gettext_lazy("May move the deal back"),
    "value": gettext_lazy("Value"),
    "mode": gettext_lazy("How"),
    "tag": gettext_lazy("Tag"),
    "send": gettext_lazy("Email it to the client"),
    "channel": gettext_lazy("Channel"),
    "template": gettext_lazy("Template"),
    "subject": gettext_lazy("Subject"),
    "endpoint": gettext_lazy("Webhook"),
}
# What an empty choice means, where it is not "any".
EMPTY_CHOICE = {"channel": gettext_lazy("The client's latest conversation")}
DELAY_LABELS = {
    "days": gettext_lazy("Wait days"),
    "hours": gettext_lazy("hours"),
    "minutes": gettext_lazy("minutes"),
    "at": gettext_lazy("at"),
    "working_day": gettext_lazy("on a working day"),
    "field": gettext_lazy("counted from the date"),
}
CHOICE_LABELS = {
    "call": gettext_lazy("Call"),
    "meeting": gettext_lazy("Meeting"),
    "task": gettext_lazy("To-do"),
    "owner": gettext_lazy("The deal's owner"),
    "department_head": gettext_lazy("Head of the owner's department"),
    "fixed": gettext_lazy("A fixed person"),
    "round_robin": gettext_lazy("Round robin"),
    "least_loaded": gettext_lazy("The least loaded"),
}
CHOICE_LABELS_IN = {
    ("assignee", "user"): gettext_lazy("A named person"),
    ("recipient", "user"): gettext_lazy("A named person"),
    ("assignee", "role"): gettext_lazy("Someone with a role"),
    ("recipient", "role"): gettext_lazy("Someone with a role"),
}
LONG_TEXT = {"notes", "body", "text"}
# Drawn first, in this order; the rest after, in the schema's.
ORDER = [
    "template",
    "channel",
    "subject",
    "title",
    "text",
    "body",
    "tag",
    "stage",
    "field",
    "value",
    "kind",
    "assignee",
    "recipient",
    "mode",
    "user",
    "role",
    "department",
    "due_in_minutes",
]
# A parameter that only matters for some choices of another ("user" when the task is for a
# named person): drawn only then, and the chooser redraws the form when it changes.
CHOOSERS = ("assignee", "recipient", "mode")
SHOWN_WHEN = {
    "user": {"user", "fixed"},
    "role": {"role"},
    "department": {"round_robin", "least_loaded"},
}
MAX_CONDITIONS = 20


@dataclass
class Field:
    """One input: its posted name (a place in the spec), label, widget and value."""

    name: str
    label: str
    widget: str = "text"  # text, textarea, number, checkbox, select, time
    value: object = None
    choices: list = field(default_factory=list)
    required: bool = False
    errors: list = field(default_factory=list)
    help: str = ""
    refresh: bool = False  # a change redraws the form (it decides what else is asked)
    minimum: int | None = None  # a number's bounds, from the schema
    maximum: int | None = None

    @property
    def id(self) -> str:
        return "r-" + self.name.replace(".", "-")

    @property
    def text(self) -> str:
        return "" if self.value is None else str(self.value)


def _props(schema: dict) -> dict:
    return schema.get("properties", {})


def _kind(prop: dict) -> tuple[str, bool]:
    """The JSON type of a property and whether it may be null."""
    if "anyOf" in prop:
        types = [p for p in prop["anyOf"] if p.get("type") != "null"]
        return (types[0].get("type", "string") if types else "string"), True
    return prop.get("type", "any"), False


def _coerce(raw: str | None, prop: dict):
    """A posted string as the schema's type; what does not parse is passed on as it is,
    for the spec's validation to name."""
    kind, nullable = _kind(prop)
    if kind == "boolean":
        return raw is not None
    raw = (raw or "").strip()
    if raw == "":
        if nullable or "default" in prop:
            return prop.get("default")
        return None
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "any":
        try:
            return (
                params.json_loads(raw)
                if raw[0] in "-0123456789" or raw in ("true", "false")
                else raw
            )
        except ValueError:
            return raw
    return raw


def _params(prefix: str, schema: dict, data) -> dict:
    """The parameters posted; a required one left empty is left out, for the validation to
    say it is required."""
    out = {}
    for name, prop in _props(schema).items():
        value = _coerce(data.get(f"{prefix}.{name}"), prop)
        if value is None and "default" not in prop:
            continue
        out[name] = value
    return out


def _indexes(data, prefix: str) -> list[int]:
    """The row numbers posted under `prefix` ("actions", "conditions", "actions.1.then"),
    in order."""
    found = set()
    for key in data:
        if key.startswith(prefix + "."):
            part = key[len(prefix) + 1 :].split(".")[0]
            if part.isdigit():
                found.add(int(part))
    return sorted(found)[: MAX_CONDITIONS if prefix.endswith("conditions") else 30]


def _json(raw: str | None):
    try:
        return params.json_loads(raw) if raw else None
    except ValueError:
        return None


def conditions_from_post(data, prefix: str = "conditions"):
    """Rows of field / operator / value joined by and / or; a tree kept from the API (not
    flat) is posted back as it came."""
    kept = _json(data.get(f"{prefix}.tree"))
    if kept:
        return kept
    rows = []
    for i in _indexes(data, prefix):
        name = (data.get(f"{prefix}.{i}.field") or "").strip()
        if not name:
            continue
        op = data.get(f"{prefix}.{i}.op") or "equals"
        row = {"field": name, "op": op}
        if op not in ("is_empty", "is_not_empty", "changed"):
            value = (data.get(f"{prefix}.{i}.value") or "").strip()
            if op in ("in", "department_in"):
                row["value"] = [_coerce(v, {"type": "any"}) for v in value.split(",") if v.strip()]
            else:
                row["value"] = _coerce(value, {"type": "any"})
        rows.append(row)
    if not rows:
        return None
    return {"any" if data.get(f"{prefix}.join") == "any" else "all": rows}


def _delay_from_post(prefix: str, data) -> dict | None:
    delay = {}
    for name, prop in _props(delays.Delay.model_json_schema()).items():
        value = _coerce(data.get(f"{prefix}.delay.{name}"), prop)
        if value not in (None, 0, False, ""):
            delay[name] = value
    return delay or None


def from_post(data) -> tuple[str, dict]:
    """The rule's name and spec as the form posted them (not validated: the services do)."""
    ttype = data.get("trigger.type") or ""
    trigger = {"type": ttype}
    if ttype in automations.TRIGGERS:
        trigger.update(
            _params("trigger", automations.TRIGGERS[ttype].params.model_json_schema(), data)
        )
    actions = [_action_from_post(f"actions.{i}", data) for i in _indexes(data, "actions")]
    spec = {"trigger": trigger, "conditions": conditions_from_post(data), "actions": actions}
    return (data.get("name") or "").strip(), spec


def _action_from_post(prefix: str, data) -> dict:
    atype = data.get(f"{prefix}.type") or ""
    item = {"type": atype}
    if atype in automations.ACTIONS:
        item.update(_params(prefix, automations.ACTIONS[atype].params.model_json_schema(), data))
    if delay := _delay_from_post(prefix, data):
        item["delay"] = delay
    if own := conditions_from_post(data, f"{prefix}.conditions"):
        item["conditions"] = own
    if f"{prefix}.if_still_in_stage_shown" in data:
        item["if_still_in_stage"] = f"{prefix}.if_still_in_stage" in data
    if atype == plan.BRANCH and prefix.count(".") == 1:  # arms only on top-level actions
        for arm in plan.ARMS:
            where = f"{prefix}.{arm}"
            item[arm] = [_action_from_post(f"{where}.{j}", data) for j in _indexes(data, where)]
    return item


def actions_at(spec: dict, where: str) -> list | None:
    """The list of actions at a place of the spec: "actions", or a branch's arm
    ("actions.1.then"); None when there is none."""
    if where == "actions":
        return spec["actions"]
    parts = where.split(".")
    if len(parts) != 3 or parts[0] != "actions" or not parts[1].isdigit():
        return None
    if parts[2] not in plan.ARMS or int(parts[1]) >= len(spec["actions"]):
        return None
    item = spec["actions"][int(parts[1])]
    if not plan.is_branch(item):
        return None
    return item.setdefault(parts[2], [])


# --- drawing the form ----------------------------------------------------------------------


TRIGGER_PREFIX = "trigger:"


@dataclass
class Choices:
    """The workspace's ids a parameter may name, read once per form."""

    stages: list  # [(id, label)] of the funnel (or every funnel)
    pipelines: list
    users: list
    roles: list
    departments: list
    fields: list  # the record type's fields: [(key, label, type)]
    date_fields: list
    # Per action type, the ids its own parameters may name (Action.choices), read once.
    of_actions: dict = field(default_factory=dict)

    def for_action(self, key: str) -> dict:
        """The own choices of an action, or of a trigger when `key` is "trigger:<key>"."""
        if key not in self.of_actions:
            if key.startswith(TRIGGER_PREFIX):
                entry = automations.trigger(key.removeprefix(TRIGGER_PREFIX))
            else:
                entry = automations.action(key)
            self.of_actions[key] = entry.choices() if entry and entry.choices else {}
        return self.of_actions[key]

    def for_param(self, name: str, action: str = ""):
        own = self.for_action(action) if action else {}
        if name in own:
            return own[name]
        return {
            "stage": self.stages,
            "pipeline": self.pipelines,
            "user": self.users,
            "role": self.roles,
            "department": self.departments,
            "field": [(k, label) for k, label, _t in self.fields],
        }.get(name)


def _label(name: str, prop: dict) -> str:
    return str(LABELS.get(name) or prop.get("title") or name)


def _param_fields(prefix: str, schema: dict, values: dict, choices: Choices,
                  action: str = "") -> list[Field]:  # fmt: skip
    out = []
    required = set(schema.get("required", []))
    props = _props(schema)
    chooser = next((c for c in CHOOSERS if c in props), None)
    chosen = values.get(chooser, props[chooser].get("default")) if chooser else None
    names = sorted(props, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER))
    for name in names:
        prop = props[name]
        if chooser and name in SHOWN_WHEN and chosen not in SHOWN_WHEN[name]:
            continue
        kind, nullable = _kind(prop)
        value = values.get(name, prop.get("default"))
        f = Field(
            f"{prefix}.{name}",
            _label(name, prop),
            value=value,
            required=name in required,
            refresh=name == chooser,
        )
        if "enum" in prop:
            f.widget = "select"
            f.choices = [
                (v, str(CHOICE_LABELS_IN.get((name, v)) or CHOICE_LABELS.get(v) or v))
                for v in prop["enum"]
            ]
        elif (options := choices.for_param(name, action)) is not None:
            f.widget = "select"
            if nullable:
                empty = [("", str(EMPTY_CHOICE.get(name, _("Any"))))]
            else:  # nothing chosen yet (a required id): an empty choice the check names
                empty = [("", "—")] if value is None else []
            f.choices = empty + list(options)
        elif kind == "boolean":
            f.widget = "checkbox"
        elif kind == "integer":
            f.widget = "number"
            f.minimum, f.maximum = prop.get("minimum"), prop.get("maximum")
        elif name in LONG_TEXT:
            f.widget = "textarea"
        out.append(f)
    return out


def _delay_fields(prefix: str, values: dict, choices: Choices) -> list[Field]:
    out = []
    for name, prop in _props(delays.Delay.model_json_schema()).items():
        kind, _nullable = _kind(prop)
        f = Field(
            f"{prefix}.delay.{name}",
            str(DELAY_LABELS.get(name, name)),
            value=values.get(name, prop.get("default")),
        )
        if name == "field":
            f.widget, f.choices = "select", [("", _("now")), *choices.date_fields]
        elif kind == "boolean":
            f.widget = "checkbox"
        elif prop.get("anyOf") and prop["anyOf"][0].get("format") == "time":
            f.widget = "time"
        else:
            f.widget = "number"
            f.minimum, f.maximum = prop.get("minimum"), prop.get("maximum")
        out.append(f)
    return out


@dataclass
class ConditionRow:
    field: Field
    op: Field
    value: Field


def _condition_rows(prefix: str, tree, choices: Choices, extra: int) -> dict:
    """A flat all/any list as rows (and `extra` blank rows); any other tree is kept as it
    is and said so."""
    join, rows = "all", []
    kept = None
    if tree:
        join = "any" if "any" in tree else "all"
        leaves = tree.get(join) if isinstance(tree.get(join), list) else None
        if leaves is None or any(not isinstance(c, dict) or "field" not in c for c in leaves):
            kept = tree
        else:
            rows = leaves
    ops = [(k, str(v)) for k, v in condition_ops.OPERATOR_LABELS.items()]
    field_choices = [("", "—")] + [(k, label) for k, label, _t in choices.fields]
    drawn = []
    for i, row in enumerate([*rows, *([{}] * extra)]):
        value = row.get("value")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        drawn.append(
            ConditionRow(
                Field(
                    f"{prefix}.{i}.field", _("Field"), "select", row.get("field", ""), field_choices
                ),
                Field(f"{prefix}.{i}.op", _("Operator"), "select", row.get("op", "equals"), ops),
                Field(f"{prefix}.{i}.value", _("Value"), "text", value),
            )
        )
    return {
        "prefix": prefix,
        "join": join,
        "rows": drawn,
        "kept": json.dumps(kept) if kept else "",
        "next": len(drawn),
    }


@dataclass
class ActionForm:
    index: int
    type: Field
    params: list
    delay: list
    still_in_stage: Field | None
    conditions: dict
    has_delay: bool
    errors: list
    prefix: str = ""
    # A branch's arms: [("then", label, [ActionForm]), ("else", ...)]; empty otherwise.
    arms: list = field(default_factory=list)

    @property
    def is_branch(self) -> bool:
        return self.type.value == plan.BRANCH


def _action_form(prefix: str, i: int, item: dict, choices: Choices, action_choices: list,
                 extra_conditions: dict, on_stage: bool) -> ActionForm:  # fmt: skip
    atype = item.get("type") or ""
    params = []
    if atype in automations.ACTIONS:
        params = _param_fields(
            prefix, automations.ACTIONS[atype].params.model_json_schema(), item, choices, atype
        )
    delay = item.get("delay") or {}
    still = None
    if on_stage:
        still = Field(
            f"{prefix}.if_still_in_stage",
            _("Only if the deal is still in the stage"),
            "checkbox",
            item.get("if_still_in_stage", True),
        )
    top = prefix.count(".") == 1
    kinds = action_choices + ([(plan.BRANCH, str(plan.LABEL))] if top else [])
    form = ActionForm(
        i,
        Field(f"{prefix}.type", _("Do"), "select", atype, kinds, True),
        params,
        _delay_fields(prefix, delay, choices),
        still,
        _condition_rows(
            f"{prefix}.conditions",
            item.get("conditions"),
            choices,
            extra_conditions.get(f"{prefix}.conditions", 0),
        ),
        bool(delay) or atype == wait.KEY,  # a wait is its delay: shown open
        [],
        prefix,
    )
    if atype == plan.BRANCH and top:
        for arm in plan.ARMS:
            inner = [
                _action_form(
                    f"{prefix}.{arm}.{j}",
                    j,
                    raw,
                    choices,
                    action_choices,
                    extra_conditions,
                    on_stage,
                )
                for j, raw in enumerate(item.get(arm) or [])
                if isinstance(raw, dict)
            ]
            form.arms.append((arm, str(plan.ARM_LABELS[arm]), inner))
    return form


def build(
    spec: dict,
    errors: dict,
    choices: Choices,
    *,
    extra_conditions: dict | None = None,
    on_stage: bool = False,
) -> dict:
    """The fields of the form for `spec`, each with the errors of its place. `errors` left
    over (no field of that name) are returned as `general`."""
    extra_conditions = extra_conditions or {}
    trigger = spec.get("trigger") or {}
    ttype = trigger.get("type") or ""
    triggers = [(t.key, str(t.label)) for t in automations.TRIGGERS.values()]
    trigger_fields = [Field("trigger.type", _("When"), "select", ttype, triggers, True)]
    object_type = None
    if ttype in automations.TRIGGERS:
        entry = automations.TRIGGERS[ttype]
        object_type = entry.object_type
        own = {k: v for k, v in trigger.items() if k != "type"}
        trigger_fields += _param_fields(
            "trigger", entry.params.model_json_schema(), own, choices, TRIGGER_PREFIX + ttype
        )
    action_choices = [
        (a.key, str(a.label))
        for a in automations.ACTIONS.values()
        if not object_type or not a.object_types or object_type in a.object_types
    ]
    actions = [
        _action_form(f"actions.{i}", i, item, choices, action_choices, extra_conditions, on_stage)
        for i, item in enumerate(spec.get("actions") or [])
    ]
    form = {
        "trigger": trigger_fields,
        "conditions": _condition_rows(
            "conditions", spec.get("conditions"), choices, extra_conditions.get("conditions", 0)
        ),
        "actions": actions,
        "next_action": len(actions),
    }
    general = _place_errors(form, errors)
    form["general"] = general
    return form


def _action_forms(actions: list):
    """Every action of the form, the branches' arms' too."""
    for action in actions:
        yield action
        for _arm, _label, inner in action.arms:
            yield from _action_forms(inner)


def _all_fields(form: dict):
    yield from form["trigger"]
    for row in form["conditions"]["rows"]:
        yield from (row.field, row.op, row.value)
    for action in _action_forms(form["actions"]):
        yield action.type
        yield from action.params
        yield from action.delay
        if action.still_in_stage:
            yield action.still_in_stage
        for row in action.conditions["rows"]:
            yield from (row.field, row.op, row.value)


def _normalise(place: str) -> str:
    """The spec's place of an error as the form names it: conditions' rows are numbered
    under their join ("conditions.all.1.op" is the form's "conditions.1.op")."""
    for join in (".all.", ".any."):
        place = place.replace("conditions" + join, "conditions.")
    return place


def _place_errors(form: dict, errors: dict) -> list[str]:
    by_name = {f.name: f for f in _all_fields(form)}
    actions = {a.prefix: a for a in _action_forms(form["actions"])}
    general = []
    for place, messages in errors.items():
        messages = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        name = _normalise(place)
        if name in by_name:
            by_name[name].errors.extend(messages)
        elif name.rsplit(".", 1)[0] in actions:
            actions[name.rsplit(".", 1)[0]].errors.extend(messages)
        elif name in actions:
            actions[name].errors.extend(messages)
        elif place not in ("name",):
            general.append(
                messages[0]
                if place in ("actions", "non_field_errors", "trigger")
                else f"{place}: {' '.join(messages)}"
            )
    return general


def choices_for(pipeline, object_type: str = "deal") -> Choices:
    """The ids a rule of `pipeline` may name, from the workspace (a handful of queries)."""
    from crm.accounts.models import Department, Membership, Role
    from pipelines.models import Pipeline, Stage

    stages = Stage.objects.select_related("pipeline").order_by("pipeline_id", "position", "id")
    if pipeline is not None:
        stages = stages.filter(pipeline=pipeline)
        stage_choices = [(s.pk, s.name) for s in stages]
    else:
        stage_choices = [(s.pk, f"{s.pipeline.name} · {s.name}") for s in stages]
    members = Membership.objects.filter(is_active=True).select_related("user")
    fields = [(f["key"], f["label"], f["type"]) for f in services.fields_of(object_type)]
    return Choices(
        stages=stage_choices,
        pipelines=[(p.pk, p.name) for p in Pipeline.objects.filter(is_archived=False)],
        users=sorted(((m.user_id, m.user.display_name) for m in members), key=lambda u: u[1]),
        roles=[(r.pk, r.name) for r in Role.objects.order_by("name")],
        departments=[(d.pk, d.name) for d in Department.objects.order_by("name")],
        fields=fields,
        date_fields=[(k, label) for k, label, t in fields if t in ("date", "datetime")],
    )
