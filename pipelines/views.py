"""Settings pages of the sales set-up, for admins: funnels and their stages (a stage editor
with drag-to-reorder) and the reasons deals are lost."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Value
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from crm.web.decorators import manager_required
from crm.web.forms import errors_to_form
from crm.web.params import parse_id

from . import forms, services
from .models import LostReason, Pipeline, Stage
from .occupants import OCCUPANTS

PALETTE = [(c, f"stage-c{i}") for i, c in enumerate(Stage.COLORS)]
NEW_ID = "new_stage_%s"  # the funnel's rename form on the same page has id_name already


def _deal_count(**match):
    """How many records (deals) the stages' occupants keep there, as a correlated count."""
    counts = [occupant.count_expression(**match) for occupant in OCCUPANTS]
    return sum(counts[1:], counts[0]) if counts else Value(0)


# --- funnels -----------------------------------------------------------------------------


@manager_required
def funnels(request):
    form = forms.PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = services.pipeline_create(
                actor=request.membership, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Funnel %(name)s created.") % {"name": pipeline.name})
            return redirect("funnel_edit", pk=pipeline.pk)
    rows = Pipeline.objects.annotate(
        stage_count=Count("stages"), deal_count=_deal_count(pipeline="pk")
    ).order_by("is_archived", "position", "id")
    return render(request, "pipelines/funnels.html", {"form": form, "rows": rows})


def _stages(pipeline: Pipeline) -> list[Stage]:
    return list(
        pipeline.stages.annotate(deal_count=_deal_count(stage="pk")).order_by("position", "id")
    )


def _editor(request, pipeline: Pipeline, **extra) -> dict:
    return {
        "pipeline": pipeline,
        "stages": _stages(pipeline),
        "palette": PALETTE,
        "kinds": Stage.KINDS,
        "new_stage_form": extra.pop("new_stage_form", None) or forms.StageForm(auto_id=NEW_ID),
        **extra,
    }


@manager_required
def funnel_edit(request, pk):
    pipeline = get_object_or_404(Pipeline.objects.all(), pk=pk)
    form = forms.PipelineForm(request.POST or None, initial={"name": pipeline.name})
    if request.method == "POST":
        action = request.POST.get("action", "rename")
        try:
            if action in ("archive", "restore"):
                services.pipeline_archive(
                    actor=request.membership, pipeline=pipeline, archived=action == "archive"
                )
                messages.success(
                    request,
                    _("Funnel archived.") if action == "archive" else _("Funnel restored."),
                )
                return redirect("funnel_edit", pk=pipeline.pk)
            if action == "delete":
                services.pipeline_delete(actor=request.membership, pipeline=pipeline)
                messages.success(request, _("Funnel %(name)s deleted.") % {"name": pipeline.name})
                return redirect("funnels")
            if form.is_valid():
                services.pipeline_rename(
                    actor=request.membership, pipeline=pipeline, name=form.cleaned_data["name"]
                )
                messages.success(request, _("Funnel renamed."))
                return redirect("funnel_edit", pk=pipeline.pk)
        except ValidationError as exc:
            if action == "rename":
                errors_to_form(form, exc)
            else:
                messages.error(request, " ".join(exc.messages))
                return redirect("funnel_edit", pk=pipeline.pk)
    return render(request, "pipelines/funnel_edit.html", _editor(request, pipeline, form=form))


def _stage_list(request, pipeline: Pipeline, **extra):
    """The stage list: the partial for htmx, the whole page otherwise."""
    if request.htmx:
        return render(request, "pipelines/_stages.html", _editor(request, pipeline, **extra))
    if extra.get("new_stage_form") is not None or extra.get("error"):
        form = forms.PipelineForm(initial={"name": pipeline.name})
        return render(
            request, "pipelines/funnel_edit.html", _editor(request, pipeline, form=form, **extra)
        )
    return redirect("funnel_edit", pk=pipeline.pk)


@require_POST
@manager_required
def stage_add(request, pk):
    pipeline = get_object_or_404(Pipeline.objects.all(), pk=pk)
    form = forms.StageForm(request.POST, auto_id=NEW_ID)
    if form.is_valid():
        try:
            services.stage_create(
                actor=request.membership, pipeline=pipeline, data=form.data_for_service()
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            return _stage_list(request, pipeline)
    return _stage_list(request, pipeline, new_stage_form=form)


@require_POST
@manager_required
def stage_edit(request, pk):
    """One stage's row, saved in place (htmx swaps the row)."""
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    form = forms.StageForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            stage = services.stage_update(
                actor=request.membership, stage=stage, data=form.data_for_service()
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Stage saved."))
        return redirect("funnel_edit", pk=stage.pipeline_id)
    stages = _stages(stage.pipeline)
    row = next(s for s in stages if s.pk == stage.pk)
    if error:  # show what was typed, with the message
        for name in ("name", "probability", "kind", "rotting_days", "color"):
            if name in request.POST:
                setattr(row, name, request.POST[name])
    return render(
        request,
        "pipelines/_stage.html",
        {
            "stage": row,
            "stages": stages,
            "pipeline": stage.pipeline,
            "palette": PALETTE,
            "kinds": Stage.KINDS,
            "error": error,
            "saved": not error,
        },
    )


@require_POST
@manager_required
def stage_delete(request, pk):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    move_to = None
    move_to_id = parse_id(request.POST.get("move_to"), "move_to")
    if move_to_id is not None:
        move_to = get_object_or_404(Stage.objects.filter(pipeline=stage.pipeline_id), pk=move_to_id)
    try:
        moved = services.stage_delete(actor=request.membership, stage=stage, move_to=move_to)
    except ValidationError as exc:
        if request.htmx:
            return _stage_list(request, stage.pipeline, error=" ".join(exc.messages))
        messages.error(request, " ".join(exc.messages))
        return redirect("funnel_edit", pk=stage.pipeline_id)
    if moved:
        messages.success(
            request,
            ngettext(
                "Stage %(name)s deleted; %(n)s deal moved to %(to)s.",
                "Stage %(name)s deleted; %(n)s deals moved to %(to)s.",
                moved,
            )
            % {"name": stage.name, "n": moved, "to": move_to.name},
        )
    else:
        messages.success(request, _("Stage %(name)s deleted.") % {"name": stage.name})
    if request.htmx:
        return _stage_list(request, stage.pipeline, show_messages=True)
    return redirect("funnel_edit", pk=stage.pipeline_id)


@require_POST
@manager_required
def stages_reorder(request, pk):
    """The stage editor's drag and drop: POST stage=<id> for every stage, in order."""
    pipeline = get_object_or_404(Pipeline.objects.all(), pk=pk)
    try:
        ids = [int(i) for i in request.POST.getlist("stage")]
        services.stages_reorder(actor=request.membership, pipeline=pipeline, stage_ids=ids)
    except (ValueError, ValidationError):
        return HttpResponse(_("The stages changed meanwhile: reload the page."), status=409)
    if request.htmx:
        return _stage_list(request, pipeline)
    return HttpResponse(status=204)


# --- lost reasons ------------------------------------------------------------------------


@manager_required
def lost_reasons(request):
    form = forms.LostReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lost_reason_save(actor=request.membership, name=form.cleaned_data["name"])
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Reason added."))
            return redirect("lost_reasons")
    rows = LostReason.objects.all()
    return render(request, "pipelines/lost_reasons.html", {"form": form, "rows": rows})


@require_POST
@manager_required
def lost_reason_edit(request, pk):
    reason = get_object_or_404(LostReason.objects.all(), pk=pk)
    if request.POST.get("action") == "delete":
        services.lost_reason_delete(actor=request.membership, reason=reason)
        messages.success(request, _("Reason %(name)s deleted.") % {"name": reason.name})
        return redirect("lost_reasons")
    form = forms.LostReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["name"])
        services.lost_reason_save(
            actor=request.membership, reason=reason, name=form.cleaned_data["name"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Reason saved."))
    return redirect("lost_reasons")
