"""A rule's spec, checked against the catalogue (crm/automations.py) before it is saved:

    {"trigger": {"type": "deal.stage_entered", "stage": 12},
     "conditions": {"all": [{"field": "amount", "op": "gt", "value": 1000}, ...]},
     "actions": [{"type": "task.create", "title": "Call", "kind": "call",
                  "assignee": "owner", "due_in_minutes": 60,
                  "delay": {"minutes": 30}, "if_still_in_stage": true}]}

Besides its own parameters, every action may have a `delay` (see delays.py), its own
`conditions` (checked when it runs) and `if_still_in_stage` (a rule on a stage: skip the
action when the record has left the stage meanwhile; on unless turned off).

`validate(raw)` returns the spec as it will be stored (parameters normalised) or raises
SpecInvalid with every problem keyed by where it is ("actions.0.stage").
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from pydantic import BaseModel, ValidationError

from crm import automations
from crm.automations import Invalid, Params

from . import conditions, delays

MAX_ACTIONS = 30
ENGINE_KEYS = ("type", "delay", "conditions", "if_still_in_stage")


class SpecInvalid(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def _pydantic_errors(exc: ValidationError, prefix: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in exc.errors():
        where = ".".join(str(p) for p in (prefix, *error["loc"]) if p != "")
        if error["type"] == "extra_forbidden":
            message = _("This parameter is not known here.")
        elif error["type"] == "missing":
            message = _("This field is required.")
        else:
            message = error["msg"]
        out.setdefault(where or prefix, []).append(str(message))
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
    elif len(actions) > MAX_ACTIONS:
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


def _action(item: Any, prefix: str, object_type: str | None, pipeline_id) -> dict:
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
    out = {"type": key, **params.model_dump(mode="json")}
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
