"""What deals add to the automation catalogue (crm/automations.py): the triggers of a deal's
life in its funnel, and the actions that move, change, assign and tag a deal.

Every action acts through the deal services as the workspace's system actor, and every id
it names (stage, member, department) is checked in the current workspace when the rule is
saved and again when it runs."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import Field

from crm import assigning, automations, objects
from crm.automations import Action, Invalid, Params, Stopped, Trigger
from pipelines.models import Stage

from . import services
from .models import Deal

# --- triggers ------------------------------------------------------------------------------


class StageParams(Params):
    stage: int = Field(..., ge=1, description="The stage a deal enters.")


class FunnelParams(Params):
    pipeline: int | None = Field(None, ge=1, description="Only deals of this funnel.")


class ChangedParams(Params):
    field: str | None = Field(None, max_length=80, description="Only when this field changed.")


def _stage(pk: int, field: str = "stage") -> Stage:
    stage = Stage.objects.select_related("pipeline").filter(pk=pk).first()
    if stage is None:
        raise Invalid(field, _("No such stage."))
    return stage


def _check_stage(params) -> None:
    if _stage(params.stage).pipeline.is_archived:
        raise Invalid("stage", _("This funnel is archived."))


def _stage_scope(params) -> tuple[int | None, int | None]:
    stage = Stage.objects.filter(pk=params.stage).values_list("pipeline_id", "pk").first()
    return stage or (None, None)


def _entered_stage(event) -> int | None:
    data = event.data or {}
    return data.get("to") if event.type == "deal.stage_changed" else data.get("stage_id")


def _entered(event, params) -> list[int]:
    return [event.subject_id] if _entered_stage(event) == params.stage else []


def _check_funnel(params) -> None:
    from pipelines.models import Pipeline

    if params.pipeline and not Pipeline.objects.filter(pk=params.pipeline).exists():
        raise Invalid("pipeline", _("No such funnel."))


def _in_funnel(event, params) -> list[int]:
    if params.pipeline is None:
        return [event.subject_id]
    pipeline = (event.data or {}).get("pipeline_id")
    if pipeline is None:  # events that do not carry it: the deal says
        pipeline = Deal.objects.filter(pk=event.subject_id).values_list("pipeline", flat=True)
        pipeline = pipeline.first()
    return [event.subject_id] if pipeline == params.pipeline else []


def _check_changed(params) -> None:
    if params.field and objects.get("deal").field(params.field) is None:
        raise Invalid("field", _("Unknown field: %(field)s.") % {"field": params.field})


def _changed(event, params) -> list[int]:
    if params.field is None:
        return [event.subject_id]
    field = objects.get("deal").field(params.field)
    key = field.lookup.split("__", 1)[0] if field and field.custom else params.field
    return [event.subject_id] if key in ((event.data or {}).get("changes") or {}) else []


def _changed_key(params) -> str | None:
    """What `changes` calls the field: custom fields ("cf_...") change as "custom"."""
    if params.field is None:
        return None
    return "custom" if params.field.startswith("cf_") else params.field


def _changed_keys(event) -> list[str]:
    return list((event.data or {}).get("changes") or {})


def _funnel_scope(params):
    return (params.pipeline, None)


class IdleParams(Params):
    stage: int | None = Field(None, ge=1, description="Idle in this stage.")
    pipeline: int | None = Field(None, ge=1, description="Or in any stage of this funnel.")
    days: int = Field(..., ge=1, le=3650, description="For at least this many days.")


def _check_idle(params) -> None:
    if params.stage is not None:
        _check_stage(params)
        stage = _stage(params.stage)
        if params.pipeline is not None and stage.pipeline_id != params.pipeline:
            raise Invalid("stage", _("This stage is not of the funnel chosen."))
    else:
        _check_funnel(params)


def _idle(event, params) -> list[int]:
    data = event.data or {}
    if "days" in data and data["days"] != params.days:  # a dry run's event has no days
        return []
    if params.stage is not None and data.get("stage_id") != params.stage:
        return []
    if params.pipeline is not None and data.get("pipeline_id") != params.pipeline:
        return []
    return [event.subject_id]


def _idle_scope(params) -> tuple[int | None, int | None]:
    if params.stage is not None:
        return _stage_scope(params)
    return (params.pipeline, None)


def _sweep_idle(params_list) -> int:
    from . import idle

    return idle.sweep(params_list)


# --- actions -------------------------------------------------------------------------------


class MoveParams(Params):
    stage: int = Field(..., ge=1, description="The stage to move the deal to.")
    allow_back: bool = Field(False, description="May move the deal to an earlier stage.")


def _check_move(params) -> None:
    _check_stage(params)


def _move(ctx, params) -> dict:
    deal, stage = ctx.record(), _stage(params.stage)
    if deal.stage_id == stage.pk:
        return {"stage": stage.pk, "moved": False}
    current = Stage.objects.filter(pk=deal.stage_id).values_list("pipeline", "position").first()
    if (
        not params.allow_back
        and current
        and current[0] == stage.pipeline_id
        and stage.position < current[1]
    ):
        raise Stopped(_("The deal is already past that stage."))
    services.deal_move(actor=ctx.actor, deal=deal, stage=stage)
    return {"stage": stage.pk, "moved": True}


def _describe_move(ctx, params) -> str:
    stage = Stage.objects.filter(pk=params.stage).first()
    return _("Move the deal to «%(stage)s».") % {"stage": stage.name if stage else "?"}


SETTABLE = {"title", "amount", "currency", "expected_close", "source", "utm_source",
            "utm_medium", "utm_campaign", "utm_term", "utm_content"}  # fmt: skip


class SetFieldParams(Params):
    field: str = Field(..., max_length=80, description="The field to set.")
    value: Any = Field(None, description="Its new value.")


def _check_set_field(params) -> None:
    field = objects.get("deal").field(params.field)
    if field is None or not (field.custom or params.field in SETTABLE):
        raise Invalid("field", _("This field cannot be set by a rule."))


def _set_field(ctx, params) -> dict:
    deal = ctx.record()
    field = objects.get("deal").field(params.field)
    if field.custom:
        key = field.lookup.split("__", 1)[1]
        data = {"custom": {**deal.custom, key: params.value}}
    else:
        data = {params.field: params.value}
    services.deal_update(actor=ctx.actor, deal=deal, data=data)
    return {"field": params.field, "value": params.value}


def _describe_set_field(ctx, params) -> str:
    field = objects.get("deal").field(params.field)
    return _("Set «%(field)s» to %(value)s.") % {
        "field": field.label if field else params.field,
        "value": params.value,
    }


AssignParams = assigning.AssignParams


def _open_deals(pool: list[int]) -> dict[int, int]:
    return dict(
        Deal.objects.filter(owner_id__in=pool, status=Deal.OPEN)
        .values_list("owner_id")
        .annotate(n=Count("id", filter=Q(status=Deal.OPEN)))
    )


def _choose_owner(ctx, params) -> int:
    return assigning.choose(ctx, params, _open_deals)


def _assign(ctx, params) -> dict:
    from crm.accounts.models import User

    deal = ctx.record()
    user = User.objects.get(pk=_choose_owner(ctx, params))
    if deal.owner_id != user.pk:
        services.deal_update(actor=ctx.actor, deal=deal, data={"owner": user})
    return {"owner": user.pk}


def _describe_assign(ctx, params) -> str:
    if params.mode == "fixed":
        from crm.accounts.models import User

        user = User.objects.filter(pk=params.user).first()
        return _("Make %(name)s the owner.") % {"name": user.display_name if user else "?"}
    if params.mode == "round_robin":
        return _("Assign an owner in turn.")
    return _("Assign the member with the fewest open deals.")


class TagParams(Params):
    tag: str = Field(..., min_length=1, max_length=50, description="The tag.")


def _tag(add: bool):
    def run(ctx, params) -> dict:
        deal = ctx.record()
        tags = list(deal.tags)
        tag = params.tag.strip()
        if add and tag not in tags:
            tags.append(tag)
        elif not add and tag in tags:
            tags.remove(tag)
        if tags != deal.tags:
            services.deal_update(actor=ctx.actor, deal=deal, data={"tags": tags})
        return {"tags": tags}

    return run


def _describe_tag(add: bool):
    def describe(ctx, params) -> str:
        text = _("Add the tag «%(tag)s».") if add else _("Remove the tag «%(tag)s».")
        return text % {"tag": params.tag}

    return describe


def register() -> None:
    for trigger in (
        Trigger("deal.stage_entered", gettext_lazy("Deal enters a stage"),
                ("deal.stage_changed", "deal.created"), "deal", StageParams, records=_entered,
                index=lambda p: p.stage, event_index=_entered_stage, validate=_check_stage,
                scope=_stage_scope,
                simulate=lambda deal: {"type": "deal.stage_changed",
                                       "data": {"to": deal.stage_id, "from": None}},
                help=gettext_lazy("When a deal is moved into the stage or created in it.")),
        Trigger("deal.created", gettext_lazy("Deal created"), ("deal.created",), "deal",
                FunnelParams, records=_in_funnel, validate=_check_funnel, scope=_funnel_scope),
        Trigger("deal.changed", gettext_lazy("Deal changed"), ("deal.updated",), "deal",
                ChangedParams, records=_changed, validate=_check_changed,
                index=_changed_key, event_index=_changed_keys,
                help=gettext_lazy("When a field of a deal changes (any, or the one named).")),
        Trigger("deal.assigned", gettext_lazy("Deal assigned"), ("deal.assigned",), "deal",
                FunnelParams, records=_in_funnel, validate=_check_funnel, scope=_funnel_scope),
        Trigger("deal.idle", gettext_lazy("Deal idle in a stage for N days"), ("deal.idle",),
                "deal", IdleParams, records=_idle, validate=_check_idle, scope=_idle_scope,
                index=lambda p: p.days, event_index=lambda e: (e.data or {}).get("days"),
                sweep=_sweep_idle,
                simulate=lambda deal: {"type": "deal.idle", "data": {
                    "stage_id": deal.stage_id, "pipeline_id": deal.pipeline_id,
                    "stage_entered_at": deal.stage_entered_at.isoformat()}},
                help=gettext_lazy("Once per stage entry, when the deal has stayed in the "
                                  "stage (or any stage of the funnel) for N days.")),
        Trigger("deal.won", gettext_lazy("Deal won"), ("deal.won",), "deal", FunnelParams,
                records=_in_funnel, validate=_check_funnel, scope=_funnel_scope),
        Trigger("deal.lost", gettext_lazy("Deal lost"), ("deal.lost",), "deal", FunnelParams,
                records=_in_funnel, validate=_check_funnel, scope=_funnel_scope),
    ):  # fmt: skip
        automations.register_trigger(trigger)
    for action in (
        Action("deal.move", gettext_lazy("Move to a stage"), MoveParams, _move,
               validate=_check_move, describe=_describe_move, object_types=("deal",),
               scope=_stage_scope),
        Action("deal.set_field", gettext_lazy("Change a field"), SetFieldParams, _set_field,
               validate=_check_set_field, describe=_describe_set_field, object_types=("deal",)),
        Action("deal.assign", gettext_lazy("Assign the owner"), AssignParams, _assign,
               validate=assigning.check, describe=_describe_assign, object_types=("deal",)),
        Action("deal.add_tag", gettext_lazy("Add a tag"), TagParams, _tag(True),
               describe=_describe_tag(True), object_types=("deal",)),
        Action("deal.remove_tag", gettext_lazy("Remove a tag"), TagParams, _tag(False),
               describe=_describe_tag(False), object_types=("deal",)),
    ):  # fmt: skip
        automations.register_action(action)
