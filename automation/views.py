"""The board's automation view: per funnel, each stage's actions and triggers, the workspace's
rules, the rule editor (forms from the catalogue, errors from the services' validation), run
history with retry, and the dry run on a deal. Thin: the services write, `editor` draws.

The workspace rules page (rules on no funnel: new contacts, conversations, overdue tasks,
deals anywhere) is the same views with no funnel: its addresses say "workspace" where a
funnel's say its id (urls.ScopeConverter), and the views get `WORKSPACE` for the funnel.

Only admins and roles granted "automation" reach it (403 otherwise); another workspace's
funnel, rule or run is a 404.
"""

from __future__ import annotations

import contextlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm import automations, objects
from crm.web.decorators import member_required
from crm.web.params import as_id
from pipelines.models import Pipeline, Stage

from . import board, dryrun, editor, plan, selectors, services
from . import spec as specs
from .models import Rule

RUNS_SHOWN = 25
DEALS_TO_TEST = 200


def _require(request, action: str = "view") -> None:
    if not services.can(request.membership, action):
        raise PermissionDenied


class Workspace:
    """Where a view wants a funnel, the workspace rules page has this: no id, no stages."""

    pk = None
    name = gettext_lazy("Workspace rules")


WORKSPACE = Workspace()


def _pipeline(pk) -> Pipeline | Workspace:
    return WORKSPACE if pk is None else get_object_or_404(Pipeline.objects.all(), pk=pk)


def _rule(request, pk) -> Rule:
    return get_object_or_404(selectors.rules_for(request.membership), pk=pk)


def stage_names(pipeline) -> dict:
    stages = Stage.objects.all() if pipeline.pk is None else Stage.objects.filter(pipeline=pipeline)
    return dict(stages.values_list("pk", "name"))


def _can(request) -> dict:
    return {a: services.can(request.membership, a) for a in ("create", "edit", "delete")}


def board_link(membership, pipeline) -> list[tuple[str, str]]:
    """The board's "Automation" link, for those who may see rules."""
    if not services.can(membership, "view"):
        return []
    return [(_("Automation"), reverse("automation_board", args=[pipeline.pk]))]


@member_required
def automation_home(request):
    """The first funnel's view (the board links straight to a funnel's)."""
    _require(request)
    funnels = Pipeline.objects.filter(is_archived=False)
    wanted = as_id(request.GET.get("pipeline"))
    pipeline = (funnels.filter(pk=wanted).first() if wanted else None) or funnels.first()
    if pipeline is None:
        return render(request, "automation/board.html", {"pipeline": None, "can": _can(request)})
    return redirect("automation_board", pipeline.pk)


def _workspace_context(request) -> dict:
    return {
        "pipeline": WORKSPACE,
        "board": board.workspace_view(request.membership),
        "workspace_templates": [t for t in board.TEMPLATES if t.where in ("records", "workspace")],
        "can": _can(request),
    }


def _board_context(request, pipeline) -> dict:
    if pipeline.pk is None:
        return _workspace_context(request)
    data = board.view(request.membership, pipeline)
    for column in data["columns"]:
        won = column.stage.kind == Stage.WON
        column.templates = [
            t
            for t in board.TEMPLATES
            if t.where in ("stage", "trigger") and (t.key != "paid" or won)
        ]
    return {
        "pipeline": pipeline,
        "pipelines": list(Pipeline.objects.filter(is_archived=False)),
        "board": data,
        "workspace_templates": [t for t in board.TEMPLATES if t.where == "workspace"],
        "can": _can(request),
    }


@member_required
def automation_board(request, pipeline_id):
    _require(request)
    pipeline = _pipeline(pipeline_id)
    if pipeline.pk is None:
        return render(request, "automation/workspace.html", _workspace_context(request))
    return render(request, "automation/board.html", _board_context(request, pipeline))


def _board_partial(pipeline) -> str:
    return "automation/_workspace.html" if pipeline.pk is None else "automation/_board.html"


# --- the editor ----------------------------------------------------------------------------


def _editor(
    request,
    pipeline,
    *,
    rule=None,
    name="",
    spec=None,
    errors=None,
    extra=None,
    stage=None,
    saved=False,
):
    spec = spec or {}
    stage_id = (spec.get("trigger") or {}).get("stage")
    on_stage = (spec.get("trigger") or {}).get("type") == board.STAGE_TRIGGER and stage_id
    trigger = automations.trigger((spec.get("trigger") or {}).get("type", ""))
    form = editor.build(
        spec,
        errors or {},
        editor.choices_for(
            pipeline if pipeline.pk else None, trigger.object_type if trigger else "deal"
        ),
        extra_conditions=extra,
        on_stage=bool(on_stage),
    )
    errors = errors or {}
    return render(
        request,
        "automation/_editor.html",
        {
            "pipeline": pipeline,
            "rule": rule,
            "name": name,
            "form": form,
            "name_errors": errors.get("name", []),
            "stage": stage,
            "saved": saved,
            "can": _can(request),
        },
    )


@member_required
def rule_new(request, pipeline_id):
    """A new rule's editor, from a template (?template=call&stage=12)."""
    _require(request, "create")
    pipeline = _pipeline(pipeline_id)
    template = board.TEMPLATES_BY_KEY.get(
        request.GET.get("template", ""), board.TEMPLATES_BY_KEY["blank_workspace"]
    )
    stage = None
    if pipeline.pk is None and template.where not in ("workspace", "records"):
        raise Http404  # stage templates belong to a funnel's view
    if stage_id := as_id(request.GET.get("stage")):
        stage = get_object_or_404(Stage.objects.filter(pipeline=pipeline), pk=stage_id)
    elif template.where not in ("workspace", "records"):
        stage = Stage.objects.filter(pipeline=pipeline).first()
        if stage is None:
            raise Http404
    name, spec = template.make(pipeline, stage)
    return _editor(request, pipeline, name=name, spec=spec, stage=stage)


def _posted_rule(request, pipeline):
    rule_id = as_id(request.POST.get("rule"))
    return _rule(request, rule_id) if rule_id else None


@member_required
@require_POST
def rule_form(request, pipeline_id):
    """The editor redrawn from what is posted (a trigger or action type changed, a row added
    or removed), saving nothing."""
    _require(request, "view")
    pipeline = _pipeline(pipeline_id)
    rule = _posted_rule(request, pipeline)
    name, spec = editor.from_post(request.POST)
    extra = {}
    op = request.POST.get("op", "")
    if op == "add_action" or op.startswith("add_action:"):  # at the end, or in an arm
        where = editor.actions_at(spec, op.partition(":")[2] or "actions")
        if where is not None:
            where.append({"type": "task.create", "kind": "task", "assignee": "owner"})
    elif op.startswith("remove_action:"):
        place = op.split(":", 1)[1]
        place = f"actions.{place}" if place.isdigit() else place  # "3": a top-level one
        where, _dot, index = place.rpartition(".")
        items = editor.actions_at(spec, where)
        if items is not None and index.isdigit() and int(index) < len(items):
            items.pop(int(index))
    elif op.startswith("add_condition:"):
        where = op.split(":", 1)[1]
        if where == "conditions" or where.startswith("actions."):
            extra[where] = 1
    return _editor(request, pipeline, rule=rule, name=name, spec=spec, extra=extra)


@member_required
@require_POST
def rule_save(request, pipeline_id):
    """Create or edit the rule through the services; their validation errors are drawn on
    the fields they name, and nothing typed is lost."""
    pipeline = _pipeline(pipeline_id)
    rule = _posted_rule(request, pipeline)
    _require(request, "edit" if rule else "create")
    name, spec = editor.from_post(request.POST)
    try:
        if rule is None:
            rule = services.rule_create(actor=request.membership, name=name, spec=spec)
        else:
            data = {"name": name, **spec}  # the rule keeps its funnel
            rule = services.rule_update(actor=request.membership, rule=rule, data=data)
    except ValidationError as exc:
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        if set(errors) == {"name"}:  # the name is checked first: say what else is wrong too
            try:
                specs.validate(spec, pipeline_id=rule.pipeline_id if rule else None)
            except specs.SpecInvalid as more:
                errors = {**errors, **more.errors}
        return _editor(
            request,
            pipeline,
            rule=rule if rule and rule.pk else None,
            name=name,
            spec=spec,
            errors=errors,
        )
    if not request.htmx:
        return _back(pipeline, rule)
    # The board drawn afresh, the rule in view; the version in the query makes each save a
    # new address (a change of the #fragment alone would not reload the page).
    response = HttpResponse("")
    url = reverse("automation_board", args=[pipeline.pk])  # "workspace" for WORKSPACE
    response["HX-Redirect"] = f"{url}?saved={rule.pk}.{rule.version.number}#rule-{rule.pk}"
    return response


@member_required
def rule_edit(request, pipeline_id, rule_id):
    _require(request, "view")
    pipeline = _pipeline(pipeline_id)
    rule = _rule(request, rule_id)
    spec = rule.version.spec if rule.version else {}
    return _editor(request, pipeline, rule=rule, name=rule.name, spec=spec)


# --- switch, order, delete -----------------------------------------------------------------


def _back(pipeline, rule=None):
    url = reverse("automation_board", args=[pipeline.pk])
    return redirect(url + (f"#rule-{rule.pk}" if rule else ""))


@member_required
@require_POST
def rule_toggle(request, pipeline_id, rule_id):
    _require(request, "edit")
    pipeline = _pipeline(pipeline_id)
    rule = _rule(request, rule_id)
    rule = services.rule_update(
        actor=request.membership, rule=rule, data={"is_active": not rule.is_active}
    )
    if request.htmx:
        rule = _rule(request, rule.pk)
        return render(
            request,
            "automation/_rule.html",
            {
                "entry": board.describe(rule, stage_names(pipeline)),
                "pipeline": pipeline,
                "can": _can(request),
            },
        )
    return _back(pipeline, rule)


@member_required
@require_POST
def rule_move(request, pipeline_id, rule_id):
    """One place up or down among the rules of its stage (or of the workspace)."""
    _require(request, "edit")
    pipeline = _pipeline(pipeline_id)
    rule = _rule(request, rule_id)
    siblings = selectors.rules_for(request.membership).filter(stage_id=rule.stage_id)
    if pipeline.pk is None:  # the workspace rules page orders the rules it lists
        siblings = siblings.filter(pipeline=None)
    siblings = list(siblings.values_list("pk", flat=True))
    i = siblings.index(rule.pk)
    j = i - 1 if request.POST.get("direction") == "up" else i + 1
    if 0 <= j < len(siblings):
        siblings[i], siblings[j] = siblings[j], siblings[i]
        services.rules_reorder(actor=request.membership, rule_ids=siblings)
    if request.htmx:
        return render(request, _board_partial(pipeline), _board_context(request, pipeline))
    return _back(pipeline, rule)


@member_required
@require_POST
def rule_delete(request, pipeline_id, rule_id):
    _require(request, "delete")
    pipeline = _pipeline(pipeline_id)
    services.rule_delete(actor=request.membership, rule=_rule(request, rule_id))
    if request.htmx:
        return HttpResponse("")
    return _back(pipeline)


# --- history and dry run -------------------------------------------------------------------


def _titles(membership, runs) -> dict:
    """{(object type, id): the record's name} for the records the member may see: one query
    per type of record (a rule acts on one type)."""
    titles = {}
    for kind in {r.object_type for r in runs}:
        spec = objects.get(kind)
        if spec is None or spec.model is None or spec.records is None:
            continue
        ids = {r.object_id for r in runs if r.object_type == kind}
        for record in spec.records(membership).filter(pk__in=ids):
            titles[(kind, record.pk)] = str(record)
    return titles


def _history(request, pipeline, rule) -> dict:
    """The rule's latest runs, each step named by its action, each record by its name when
    the member may see it (an id otherwise), linked to its card; a few queries."""
    runs = list(selectors.runs_for(request.membership, {"rule": str(rule.pk)})[:RUNS_SHOWN])
    titles = _titles(request.membership, runs)
    for run in runs:
        run.title = titles.get((run.object_type, run.object_id))
        spec = objects.get(run.object_type)
        run.url = spec.card_url(run.object_id) if spec and run.title else ""
        for step in run.steps.all():
            action = automations.action(step.action)
            step.label = str(action.label) if action else step.action
            if step.action == plan.BRANCH:  # which arm it took
                arm = plan.ARM_LABELS.get((step.result or {}).get("branch"))
                step.label = f"{plan.LABEL}: {arm}" if arm else str(plan.LABEL)
    return {"pipeline": pipeline, "rule": rule, "runs": runs, "can": _can(request)}


def _dues(actions: list) -> None:
    """Each action's due time as a datetime for the template, the branches' arms too."""
    for action in actions:
        action["due"] = parse_datetime(action["due_at"]) if action["due_at"] else None
        for arm in plan.ARMS:
            _dues(action.get(arm) or [])


@member_required
def rule_runs(request, pipeline_id, rule_id):
    _require(request)
    pipeline = _pipeline(pipeline_id)
    rule = _rule(request, rule_id)
    return render(request, "automation/_runs.html", _history(request, pipeline, rule))


@member_required
@require_POST
def run_retry(request, pipeline_id, run_id):
    _require(request, "edit")
    pipeline = _pipeline(pipeline_id)
    run = get_object_or_404(selectors.runs_for(request.membership), pk=run_id)
    # One no longer failed is left as it is: the history drawn again says what it is.
    with contextlib.suppress(ValidationError):
        services.step_retry(actor=request.membership, run=run)
    context = {**_history(request, pipeline, run.rule), "retried": run.pk}
    return render(request, "automation/_runs.html", context)


@member_required
def dry_run(request, pipeline_id):
    """ "Test on this deal": which rules would fire on the chosen deal and what each action
    would do; writes nothing. Deals are those the member sees."""
    _require(request)
    pipeline = _pipeline(pipeline_id)
    deals = objects.get("deal").records(request.membership)
    if pipeline.pk is not None:
        deals = deals.filter(pipeline=pipeline)
    choices = list(deals.order_by("-updated_at").values_list("pk", "title")[:DEALS_TO_TEST])
    result = deal = None
    rule_id = as_id(request.GET.get("rule"))
    only_rule = _rule(request, rule_id) if rule_id else None
    if deal_id := as_id(request.GET.get("deal")):
        result = dryrun.dry_run(
            membership=request.membership, object_type="deal", object_id=deal_id, rule_id=rule_id
        )
        deal = deals.filter(pk=deal_id).first()
        names = {r.pk: r for r in selectors.rules_for(request.membership)}
        for item in result["rules"]:
            item["entry"] = names.get(item["rule"])
            _dues(item["actions"])
    template = "automation/_dryrun.html" if request.htmx else "automation/dryrun.html"
    return render(
        request,
        template,
        {
            "pipeline": pipeline,
            "deals": choices,
            "result": result,
            "deal": deal,
            "only_rule": only_rule,
            "can": _can(request),
        },
    )
