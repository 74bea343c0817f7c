"""A rule's spec, checked against the catalogue (crm/automations.py) before it is saved:

    {"trigger": {"type": "deal.stage_entered", "stage": 12},
     "conditions": {"all": [{"field": "amount", "op": "gt", "value": 1000}, ...]},
     "actions": [{"type": "task.create", "title": "Call", "kind": "call",
                  "assignee": "owner", "due_in_minutes": 60,
                  "delay": {"minutes": 30}, "if_still_in_stage": true}]}

Besides its own parameters, every action may have a `delay` (see delays.py), its own
`conditions` (checked when it runs) and `if_still_in_stage` (a rule on a stage: skip the
action when the record has left the stage meanwhile; on unless turned off).

An if/else branch is an item of its own type, deciding when it runs:

    {"type": "branch", "conditions": {...}, "then": [actions], "else": [actions],
     "delay": {...}, "if_still_in_stage": true}

Its arms hold ordinary actions (with their delays and conditions), not further branches;
at least one arm has one. Its places are named as the others' ("actions.1.then.0.title").

Pydantic's messages are English: `_pydantic_errors` says each of its error types again
through gettext, with the bounds it reports.

`validate(raw)` returns the spec as it will be stored (parameters normalised) or raises
SpecInvalid with every problem keyed by where it is ("actions.0.stage").
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from pydantic import BaseModel, ValidationError

from crm import automations
from crm.automations import Invalid, Params

from . import conditions, delays, plan, wait

MAX_ACTIONS = 30  # in all, the branches' arms and the branches themselves counted
ENGINE_KEYS = ("type", "delay", "conditions", "if_still_in_stage")
BRANCH_KEYS = (*ENGINE_KEYS, *plan.ARMS)


class SpecInvalid(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def _message(error: dict) -> str:
    """Pydantic's error as a sentence in the user's language (its `ctx` gives the bounds)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    fixed = {
        "missing": _("This field is required."),
        "extra_forbidden": _("This parameter is not known here."),
        "int_parsing": _("Give a whole number."),
        "int_type": _("Give a whole number."),
        "int_from_float": _("Give a whole number."),
        "float_parsing": _("Give a number."),
        "float_type": _("Give a number."),
        "decimal_parsing": _("Give a number."),
        "decimal_type": _("Give a number."),
        "bool_parsing": _("Must be true or false."),
        "bool_type": _("Must be true or false."),
        "string_type": _("Give a text."),
        "list_type": _("Give a list."),
        "dict_type": _("Give an object."),
        "model_type": _("Give an object."),
        "model_attributes_type": _("Give an object."),
        "time_parsing": _("Give a time of day such as 09:00."),
        "time_type": _("Give a time of day such as 09:00."),
        "date_parsing": _("Give a date such as 2026-12-31."),
        "date_from_datetime_parsing": _("Give a date such as 2026-12-31."),
        "datetime_parsing": _("Give a date and time."),
        "none_required": _("Leave this empty."),
    }
    if kind in fixed:
        return str(fixed[kind])
    bounded = {
        "string_too_short": (_("Write at least %(n)s characters."), "min_length"),
        "string_too_long": (_("Write at most %(n)s characters."), "max_length"),
        "too_short": (_("Give at least %(n)s items."), "min_length"),
        "too_long": (_("Give at most %(n)s items."), "max_length"),
        "greater_than": (_("Must be greater than %(n)s."), "gt"),
        "greater_than_equal": (_("Must be at least %(n)s."), "ge"),
        "less_than": (_("Must be less than %(n)s."), "lt"),
        "less_than_equal": (_("Must be at most %(n)s."), "le"),
        "literal_error": (_("Choose one of: %(n)s."), "expected"),
        "enum": (_("Choose one of: %(n)s."), "expected"),
        "string_pattern_mismatch": (_("This does not have the expected form."), "pattern"),
    }
    if kind in bounded:
        message, bound = bounded[kind]
        return str(message) % {"n": ctx.get(bound, "")}
    if kind == "value_error":  # a validator's own message, already written for people
        return str(ctx.get("error") or error["msg"])
    return str(_("This value is not valid."))


def _pydantic_errors(exc: ValidationError, prefix: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in exc.errors():
        where = ".".join(str(p) for p in (prefix, *error["loc"]) if p != "")
        out.setdefault(where or prefix, []).append(_message(error))
    return out


def parse(model: type[BaseModel], data: dict, prefix: str):
    """`data` as `model`; every problem keyed by its place in the rule."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SpecInvalid(_pydantic_errors(exc, prefix)) from None


def check(validator, params, prefix: str) -> None:
    """A catalogue entry's validator, its Invalid keyed by its place in the rule."""
    try:
        validator(params)
    except Invalid as exc:
        where = f"{prefix}.{exc.field}" if exc.field else prefix
        raise SpecInvalid({where: [str(exc.message)]}) from None


def _type_of(raw: Any, prefix: str, known: dict) -> str:
    if not isinstance(raw, dict):
        raise SpecInvalid({prefix: [_("Give an object with a type.")]})
    key = raw.get("type")
    if not isinstance(key, str) or not key:
        raise SpecInvalid({f"{prefix}.type": [_("This field is required.")]})
    if key not in known:
        raise SpecInvalid({f"{prefix}.type": [_("Unknown type: %(type)s.") % {"type": key}]})
    return key


def trigger_of(spec: dict) -> tuple[automations.Trigger, Params]:
    """The trigger of a stored spec and its parameters (stored specs are valid)."""
    raw = dict(spec["trigger"])
    trigger = automations.TRIGGERS[raw.pop("type")]
    return trigger, trigger.params.model_validate(raw)


def action_params(raw: dict) -> tuple[automations.Action, Params]:
    action = automations.ACTIONS[raw["type"]]
    own = {k: v for k, v in raw.items() if k not in ENGINE_KEYS}
    return action, action.params.model_validate(own)


def validate(raw: Any, *, pipeline_id: int | None = None) -> dict:
    """The normalised spec, or SpecInvalid naming every field that is wrong. With
    `pipeline_id` (a rule of a funnel), the stages it names must be that funnel's."""
    if not isinstance(raw, dict):
        raise SpecInvalid({"non_field_errors": [_("A rule is an object.")]})
    errors: dict[str, list[str]] = {}
    unknown = set(raw) - {"trigger", "conditions", "actions"}
    for key in sorted(unknown):
        errors[key] = [_("This parameter is not known here.")]

    trigger = trigger_params = None
    try:
        key = _type_of(raw.get("trigger"), "trigger", automations.TRIGGERS)
        trigger = automations.TRIGGERS[key]
        own = {k: v for k, v in raw["trigger"].items() if k != "type"}
        trigger_params = parse(trigger.params, own, "trigger")
        check(trigger.validate, trigger_params, "trigger")
        scope_pipeline, _stage = trigger.scope(trigger_params)
        if pipeline_id and scope_pipeline and scope_pipeline != pipeline_id:
            raise SpecInvalid({"trigger.stage": [_("This stage belongs to another funnel.")]})
        pipeline_id = pipeline_id or scope_pipeline
    except SpecInvalid as exc:
        errors.update(exc.errors)

    object_type = trigger.object_type if trigger else None
    out = {"trigger": {"type": trigger.key, **trigger_params.model_dump(mode="json")}
           if trigger else None}  # fmt: skip

    if raw.get("conditions") not in (None, {}):
        if object_type:
            try:
                out["conditions"] = conditions.validate(raw["conditions"], object_type,
                                                        "conditions")  # fmt: skip
            except SpecInvalid as exc:
                errors.update(exc.errors)
    else:
        out["conditions"] = None

    actions = raw.get("actions")
    if not isinstance(actions, list) or not actions:
        errors["actions"] = [_("Add at least one action.")]
        actions = []
    elif len(actions) > MAX_ACTIONS or _count(actions) > MAX_ACTIONS:
        errors["actions"] = [_("At most %(n)s actions.") % {"n": MAX_ACTIONS}]
        actions = []
    out["actions"] = []
    for i, item in enumerate(actions):
        prefix = f"actions.{i}"
        try:
            out["actions"].append(_action(item, prefix, object_type, pipeline_id))
        except SpecInvalid as exc:
            errors.update(exc.errors)
    if errors:
        raise SpecInvalid(errors)
    return out


def _count(actions: list) -> int:
    """Every action of the list, the branches and their arms' counted (malformed arms are
    the validation's to name)."""
    total = 0
    for item in actions:
        total += 1
        if plan.is_branch(item):
            total += sum(_count(a) for arm in plan.ARMS if isinstance(a := item.get(arm), list))
    return total


def _engine_keys(item: dict, prefix: str, object_type: str | None) -> dict:
    """What every step may have besides its parameters: a delay, conditions, and (on a
    stage) whether it waits for the record to still be in the stage."""
    out = {}
    if item.get("delay") not in (None, {}):
        out["delay"] = parse(delays.Delay, item["delay"], f"{prefix}.delay").model_dump(
            mode="json", exclude_defaults=True
        )
        if out["delay"].get("field") and object_type:
            delays.check_field(out["delay"]["field"], object_type, f"{prefix}.delay.field")
    if item.get("conditions") not in (None, {}) and object_type:
        out["conditions"] = conditions.validate(item["conditions"], object_type,
                                                f"{prefix}.conditions")  # fmt: skip
    if "if_still_in_stage" in item:
        if not isinstance(item["if_still_in_stage"], bool):
            raise SpecInvalid({f"{prefix}.if_still_in_stage": [_("Must be true or false.")]})
        out["if_still_in_stage"] = item["if_still_in_stage"]
    return out


def _branch(item: dict, prefix: str, object_type: str | None, pipeline_id,
            nested: bool) -> dict:  # fmt: skip
    errors: dict[str, list[str]] = {}
    if nested:
        raise SpecInvalid({f"{prefix}.type": [_("A branch cannot hold another branch.")]})
    for key in sorted(set(item) - set(BRANCH_KEYS)):
        errors[f"{prefix}.{key}"] = [_("This parameter is not known here.")]
    out: dict = {"type": plan.BRANCH}
    if item.get("conditions") in (None, {}):
        errors[f"{prefix}.conditions"] = [_("Say which condition chooses the branch.")]
    try:
        out.update(_engine_keys(item, prefix, object_type))
    except SpecInvalid as exc:
        errors.update(exc.errors)
    for arm in plan.ARMS:
        raw = item.get(arm) or []
        if not isinstance(raw, list):
            errors[f"{prefix}.{arm}"] = [_("Give a list of actions.")]
            raw = []
        out[arm] = []
        for j, inner in enumerate(raw):
            try:
                out[arm].append(_action(inner, f"{prefix}.{arm}.{j}", object_type, pipeline_id,
                                        nested=True))  # fmt: skip
            except SpecInvalid as exc:
                errors.update(exc.errors)
    if not item.get("then") and not item.get("else"):
        errors[f"{prefix}.then"] = [_("Add an action to at least one of the branches.")]
    if errors:
        raise SpecInvalid(errors)
    return out


def _action(item: Any, prefix: str, object_type: str | None, pipeline_id,
            nested: bool = False) -> dict:  # fmt: skip
    if plan.is_branch(item):
        return _branch(item, prefix, object_type, pipeline_id, nested)
    key = _type_of(item, prefix, automations.ACTIONS)
    action = automations.ACTIONS[key]
    if object_type and action.object_types and object_type not in action.object_types:
        message = _("This action does not apply to this trigger's records.")
        raise SpecInvalid({f"{prefix}.type": [message]})
    own = {k: v for k, v in item.items() if k not in ENGINE_KEYS}
    params = parse(action.params, own, prefix)
    check(action.validate, params, prefix)
    action_pipeline, _stage = action.scope(params)
    if pipeline_id and action_pipeline and action_pipeline != pipeline_id:
        raise SpecInvalid({f"{prefix}.stage": [_("This stage belongs to another funnel.")]})
    engine = _engine_keys(item, prefix, object_type)
    if key == wait.KEY and not engine.get("delay"):  # a wait is its delay, nothing else
        raise SpecInvalid({f"{prefix}.delay": [_("Say how long to wait.")]})
    return {"type": key, **params.model_dump(mode="json"), **engine}
