"""Every write to the funnels' set-up: pipelines, their stages, and the reasons deals are lost.

Admin-only (the role's `can_manage_workspace`), keyword-only with the acting membership
first, one transaction each, an event for each change.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.accounts.models import Membership
from crm.activity.events import changes, emit, snapshot

from .models import LostReason, Pipeline, Stage
from .occupants import OCCUPANTS

# name, kind, probability: what every new workspace starts with (names are translated when
# the workspace is created, in its owner's language).
DEFAULT_PIPELINE = gettext_noop("Sales")
DEFAULT_STAGES = [
    (gettext_noop("Lead"), Stage.OPEN, 10),
    (gettext_noop("Qualified"), Stage.OPEN, 25),
    (gettext_noop("Proposal"), Stage.OPEN, 50),
    (gettext_noop("Negotiation"), Stage.OPEN, 75),
    (gettext_noop("Won"), Stage.WON, 100),
    (gettext_noop("Lost"), Stage.LOST, 0),
]
DEFAULT_LOST_REASONS = [
    gettext_noop("Price too high"),
    gettext_noop("Chose a competitor"),
    gettext_noop("No budget"),
    gettext_noop("No response"),
]
STAGE_FIELDS = ["name", "color", "probability", "kind", "rotting_days"]


def require_admin(actor: Membership) -> None:
    if not actor.role.can_manage_workspace:
        raise PermissionDenied(_("Only workspace admins can change funnels."))


def _clean(obj) -> None:
    # Unique names are checked case-insensitively by _name_taken, with a clearer message.
    obj.full_clean(exclude=["tenant"], validate_constraints=False)


def _name_taken(queryset, name: str, exclude_pk=None) -> bool:
    return queryset.filter(name__iexact=name.strip()).exclude(pk=exclude_pk).exists()


# --- pipelines ---------------------------------------------------------------------------


@transaction.atomic
def pipeline_create(
    *, actor: Membership, name: str, stages: list[tuple[str, str, int]] | None = None
) -> Pipeline:
    """A new pipeline with `stages` ((name, kind, probability)), the default set if None."""
    require_admin(actor)
    pipeline = _pipeline_new(name, stages)
    emit("pipeline.created", actor=actor.user, subject=pipeline, data={"name": pipeline.name})
    return pipeline


def _pipeline_new(name: str, stages) -> Pipeline:
    name = (name or "").strip()
    if _name_taken(Pipeline.objects.all(), name):
        raise ValidationError({"name": _("A funnel with this name already exists.")})
    last = Pipeline.objects.aggregate(m=Max("position"))["m"]
    pipeline = Pipeline(name=name, position=0 if last is None else last + 1)
    _clean(pipeline)
    pipeline.save()
    specs = (
        stages
        if stages is not None
        else [(_(n), kind, probability) for n, kind, probability in DEFAULT_STAGES]
    )
    _stages_bulk(pipeline, specs)
    return pipeline


def _stages_bulk(pipeline: Pipeline, specs) -> list[Stage]:
    colours = iter(Stage.COLORS)
    stages = []
    for position, (name, kind, probability) in enumerate(specs):
        if kind == Stage.WON:
            color = "#69db7c"
        elif kind == Stage.LOST:
            color = "#ff8787"
        else:
            color = next(colours, Stage.COLORS[0])
        stage = Stage(
            pipeline=pipeline,
            name=name,
            kind=kind,
            probability=probability,
            position=position,
            color=color,
        )
        stage.full_clean(exclude=["tenant", "pipeline"], validate_constraints=False)
        stages.append(stage)
    return Stage.objects.bulk_create(stages)


def default_pipeline_create(actor: Membership) -> Pipeline:
    """The "Sales" funnel and a few lost reasons, for a new workspace: a workspace
    initialiser (crm.accounts.initialisers), run inside its scope and transaction.
    Part of making the workspace, so no event of its own ("workspace.created" tells it)."""
    with transaction.atomic(), translation.override(actor.tenant.language or None):
        pipeline = _pipeline_new(_(DEFAULT_PIPELINE), None)
        LostReason.objects.bulk_create(
            [LostReason(name=_(n), position=i) for i, n in enumerate(DEFAULT_LOST_REASONS)]
        )
        return pipeline


@transaction.atomic
def pipeline_rename(*, actor: Membership, pipeline: Pipeline, name: str) -> Pipeline:
    require_admin(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    before = snapshot(pipeline, ["name"])
    name = (name or "").strip()
    if _name_taken(Pipeline.objects.all(), name, exclude_pk=pipeline.pk):
        raise ValidationError({"name": _("A funnel with this name already exists.")})
    pipeline.name = name
    _clean(pipeline)
    pipeline.save(update_fields=["name"])
    diff = changes(before, snapshot(pipeline, ["name"]))
    if diff:
        emit("pipeline.updated", actor=actor.user, subject=pipeline, data={"changes": diff})
    return pipeline


@transaction.atomic
def pipeline_archive(*, actor: Membership, pipeline: Pipeline, archived: bool = True) -> Pipeline:
    """Archive (hide from boards and new deals; its deals stay) or bring back a pipeline."""
    require_admin(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    if pipeline.is_archived == archived:
        return pipeline
    if archived and not Pipeline.objects.filter(is_archived=False).exclude(pk=pipeline.pk).exists():
        raise ValidationError(_("Keep at least one active funnel."))
    pipeline.is_archived = archived
    pipeline.save(update_fields=["is_archived"])
    emit(
        "pipeline.archived" if archived else "pipeline.restored",
        actor=actor.user,
        subject=pipeline,
        data={"changes": {"is_archived": [not archived, archived]}},
    )
    return pipeline


@transaction.atomic
def pipeline_delete(*, actor: Membership, pipeline: Pipeline) -> None:
    """Only a pipeline without deals can go; one with deals is archived instead."""
    require_admin(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    if any(occupant.count_in_pipeline(pipeline) for occupant in OCCUPANTS):
        raise ValidationError(_("This funnel has deals: archive it instead."))
    if not Pipeline.objects.filter(is_archived=False).exclude(pk=pipeline.pk).exists():
        raise ValidationError(_("Keep at least one active funnel."))
    emit("pipeline.deleted", actor=actor.user, subject=pipeline, data={"name": pipeline.name})
    pipeline.delete()


# --- stages ------------------------------------------------------------------------------


def _check_open_stage_left(pipeline: Pipeline, without: Stage) -> None:
    if not pipeline.stages.filter(kind=Stage.OPEN).exclude(pk=without.pk).exists():
        raise ValidationError(_("A funnel needs at least one open stage."))


def _apply_stage(stage: Stage, data: dict) -> None:
    for name in STAGE_FIELDS:
        if name in data:
            value = data[name]
            if name == "name":
                value = (value or "").strip()
            if name == "rotting_days" and value in ("", 0):
                value = None
            setattr(stage, name, value)
    if _name_taken(stage.pipeline.stages.all(), stage.name, exclude_pk=stage.pk):
        raise ValidationError({"name": _("This funnel already has a stage with this name.")})
    _clean(stage)


@transaction.atomic
def stage_create(
    *, actor: Membership, pipeline: Pipeline, data: dict, position: int | None = None
) -> Stage:
    """A stage (data: name, color, probability, kind, rotting_days); at the end of the open
    stages unless `position` is given (0 is first)."""
    require_admin(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    stages = list(pipeline.stages.order_by("position", "id"))
    stage = Stage(pipeline=pipeline)
    if "color" not in data:
        used = {s.color for s in stages}
        stage.color = next((c for c in Stage.COLORS if c not in used), Stage.COLORS[0])
    _apply_stage(stage, data)
    if position is None:
        # New open stages go before the closing (won/lost) ones, closing ones at the end.
        closing = [i for i, s in enumerate(stages) if s.kind != Stage.OPEN]
        position = closing[0] if closing and stage.kind == Stage.OPEN else len(stages)
    position = max(0, min(position, len(stages)))
    stages.insert(position, stage)
    stage.position = position
    stage.save()
    _renumber(stages)
    emit(
        "stage.created",
        actor=actor.user,
        subject=stage,
        data={"pipeline": pipeline.name, "name": stage.name},
        related=[pipeline],
    )
    return stage


def _renumber(stages: list[Stage]) -> None:
    changed = []
    for i, s in enumerate(stages):
        if s.position != i:
            s.position = i
            changed.append(s)
    if changed:
        Stage.objects.bulk_update(changed, ["position"])


@transaction.atomic
def stage_update(*, actor: Membership, stage: Stage, data: dict) -> Stage:
    """Rename, recolour, set the probability, the kind or the rotting days."""
    require_admin(actor)
    stage = Stage.objects.select_for_update().select_related("pipeline").get(pk=stage.pk)
    before = snapshot(stage, STAGE_FIELDS)
    _apply_stage(stage, data)
    if before["kind"] == Stage.OPEN and stage.kind != Stage.OPEN:
        _check_open_stage_left(stage.pipeline, stage)
    diff = changes(before, snapshot(stage, STAGE_FIELDS))
    if not diff:
        return stage
    stage.save(update_fields=[f for f in STAGE_FIELDS if f in diff])
    if "kind" in diff:
        for occupant in OCCUPANTS:
            occupant.kind_changed(actor, stage)
    emit(
        "stage.updated",
        actor=actor.user,
        subject=stage,
        data={"changes": diff},
        related=[stage.pipeline],
    )
    return stage


@transaction.atomic
def stages_reorder(*, actor: Membership, pipeline: Pipeline, stage_ids: list[int]) -> list[Stage]:
    """Put the pipeline's stages in the order of `stage_ids` (every stage, once)."""
    require_admin(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    stages = {s.pk: s for s in pipeline.stages.all()}
    ids = [int(i) for i in stage_ids]
    if sorted(ids) != sorted(stages):
        raise ValidationError({"stages": _("List every stage of this funnel, each once.")})
    before = [s.name for s in sorted(stages.values(), key=lambda s: (s.position, s.pk))]
    ordered = [stages[i] for i in ids]
    _renumber(ordered)
    after = [s.name for s in ordered]
    if before != after:
        emit(
            "pipeline.stages_reordered",
            actor=actor.user,
            subject=pipeline,
            data={"changes": {"stages": [before, after]}},
        )
    return ordered


@transaction.atomic
def stage_delete(*, actor: Membership, stage: Stage, move_to: Stage | None = None) -> int:
    """Delete a stage, first moving its deals to `move_to` (a stage of the same pipeline);
    each move is recorded in the deals' stage history. Returns how many deals moved."""
    require_admin(actor)
    stage = Stage.objects.select_for_update().select_related("pipeline").get(pk=stage.pk)
    if stage.kind == Stage.OPEN:
        _check_open_stage_left(stage.pipeline, stage)
    held = [(occupant, occupant.locked_in_stage(stage)) for occupant in OCCUPANTS]
    deals = [record for _occupant, records in held for record in records]
    if deals:
        if move_to is None:
            raise ValidationError(
                {"move_to": _("This stage has deals: choose the stage to move them to.")}
            )
        if move_to.pipeline_id != stage.pipeline_id or move_to.pk == stage.pk:
            raise ValidationError({"move_to": _("Choose another stage of the same funnel.")})
        for occupant, records in held:
            if records:
                occupant.move_off(actor, records, move_to)
    emit(
        "stage.deleted",
        actor=actor.user,
        subject=stage,
        data={
            "name": stage.name,
            "moved_deals": len(deals),
            "moved_to": move_to.pk if deals else None,
        },
        related=[stage.pipeline],
    )
    pipeline = stage.pipeline
    stage.delete()
    _renumber(list(pipeline.stages.order_by("position", "id")))
    return len(deals)


# --- lost reasons ------------------------------------------------------------------------


@transaction.atomic
def lost_reason_save(
    *, actor: Membership, reason: LostReason | None = None, name: str, position: int | None = None
) -> LostReason:
    require_admin(actor)
    creating = reason is None
    reason = reason or LostReason()
    before = snapshot(reason, ["name"])
    name = (name or "").strip()
    if _name_taken(LostReason.objects.all(), name, exclude_pk=reason.pk):
        raise ValidationError({"name": _("This reason already exists.")})
    reason.name = name
    if position is not None:
        reason.position = position
    elif creating:
        last = LostReason.objects.aggregate(m=Max("position"))["m"]
        reason.position = 0 if last is None else last + 1
    _clean(reason)
    reason.save()
    emit(
        "lost_reason.created" if creating else "lost_reason.updated",
        actor=actor.user,
        subject=reason,
        data={"changes": changes(before, snapshot(reason, ["name"]))},
    )
    return reason


@transaction.atomic
def lost_reason_delete(*, actor: Membership, reason: LostReason) -> None:
    """Deals lost for this reason keep their note; the reason itself goes."""
    require_admin(actor)
    emit("lost_reason.deleted", actor=actor.user, subject=reason, data={"name": reason.name})
    reason.delete()
