"""The Reports pages: the list (mine / shared, folders, search), the designer with its live
preview, and a report's run with its groups, detail rows in pages, drill-down, chart and
export. Thin: the definition is read by designer.py, checked by spec.py, written by
services.py and run by run.py, always as the viewer."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.web import params
from crm.web.decorators import can_view
from crm.web.params import as_id

from . import (
    background,
    boards,
    custom_types,
    designer,
    export,
    present,
    run,
    selectors,
    services,
    subscription_views,
)
from .compiler import MAX_ROWS

PAGE_SIZE = 100


def _can(request) -> dict:
    m = request.membership
    return {a: m.can("report", a) for a in ("create", "edit", "delete", "export")}


@can_view("report")
def report_list(request):
    m = request.membership
    tab = request.GET.get("tab") if request.GET.get("tab") in ("mine", "shared") else "all"
    q = (request.GET.get("q") or "").strip()[:100]
    folder = as_id(request.GET.get("folder"))
    reports = selectors.reports_for(m)
    if tab == "mine":
        reports = reports.filter(owner_id=m.user_id)
    elif tab == "shared":
        reports = reports.filter(is_shared=True)
    if q:
        reports = reports.filter(Q(name__icontains=q) | Q(description__icontains=q))
    if folder is not None:
        reports = reports.filter(folder_id=folder)
    labels = {key: rt.label for key, rt in custom_types.all_types().items()}
    rows = [(r, labels.get(r.report_type, r.report_type)) for r in reports[:500]]
    return render(request, "reports/list.html", {
        "rows": rows, "tab": tab, "q": q, "folder": folder,
        "folders": list(selectors.folders_for(m)), "can": _can(request),
    })  # fmt: skip


@require_POST
@can_view("report")
def report_folder_new(request):
    try:
        services.folder_save(actor=request.membership, name=request.POST.get("name", ""),
                             is_shared=request.POST.get("is_shared") == "1")  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("reports")


def _types_for(membership) -> dict:
    return {
        k: rt for k, rt in custom_types.all_types().items() if membership.can(rt.object_type.key)
    }


def _designer(request, report=None):
    m = request.membership
    available = _types_for(m)
    if request.method == "POST":
        type_key = request.POST.get("report_type", "")
        definition = designer.definition_from(request.POST)
        meta = {
            "name": request.POST.get("name", ""),
            "description": request.POST.get("description", ""),
            "is_shared": request.POST.get("is_shared") == "1",
            "folder": selectors.folders_for(m).filter(pk=as_id(request.POST.get("folder"))).first(),
        }
        errors = None
        if type_key in available:
            try:
                if report is None:
                    report = services.report_create(actor=m, report_type=type_key,
                                                    definition=definition, **meta)  # fmt: skip
                else:
                    report = services.report_update(
                        actor=m, report=report,
                        data={**meta, "report_type": type_key, **definition},
                    )  # fmt: skip
                return redirect("report_run", report.pk)
            except ValidationError as exc:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        else:
            errors = {"report_type": [_("Choose a report type.")]}
    else:
        type_key = request.GET.get("type") or (report.report_type if report else "")
        definition = report.spec if report and type_key == report.report_type else {}
        meta = {"name": report.name if report else "",
                "description": report.description if report else "",
                "is_shared": report.is_shared if report else False,
                "folder": report.folder if report else None}  # fmt: skip
        errors = None
    if type_key not in available:
        # Deals first: what most reports are about.
        type_key = "deals" if "deals" in available else next(iter(available), "")
    fields = available[type_key].fields() if type_key else {}
    relations = designer.relations_for(available[type_key]) if type_key else []
    return render(request, "reports/designer.html", {
        "report": report, "type_key": type_key, "types": available,
        "fields": list(fields.values()), "rows": designer.rows_for(definition),
        "meta": meta, "errors": errors, "folders": list(selectors.folders_for(m)),
        "relations": relations,
        **designer.choices(),
    })  # fmt: skip


@can_view("report")
def report_new(request):
    if not request.membership.can("report", "create"):
        raise PermissionDenied
    return _designer(request)


@can_view("report")
def report_edit(request, pk):
    report = get_object_or_404(selectors.editable_reports(request.membership), pk=pk)
    if not request.membership.can("report", "edit"):
        raise PermissionDenied
    return _designer(request, report)


def _result_context(request, type_key, definition, page=1, drill=None, report=None):
    outcome = run.run(type_key, definition, request.membership, request.tenant.time_zone,
                      page=page, page_size=PAGE_SIZE, drill=drill)  # fmt: skip
    context = {"problems": outcome.problems, "report": report, "drill": drill,
               "max_rows": MAX_ROWS}  # fmt: skip
    if outcome.result is not None:
        context.update({
            "result": outcome.result,
            "table": present.table(outcome.spec, outcome.result, request.tenant.currency),
            "chart": present.chart(outcome.spec, outcome.result),
            "spec": outcome.spec,
        })  # fmt: skip
    return context


@require_POST
@can_view("report")
def report_preview(request):
    type_key = request.POST.get("report_type", "")
    if type_key not in _types_for(request.membership):
        context = {"problems": [_("Choose a report type.")]}
    else:
        definition = designer.definition_from(request.POST)
        context = _result_context(request, type_key, definition)
    context["preview"] = True
    return render(request, "reports/_result.html", context)


def _drill(request):
    try:
        drill = params.json_loads(request.GET.get("drill") or "null")
    except ValueError:
        return None
    return drill if isinstance(drill, dict) else None


@can_view("report")
def report_run(request, pk):
    report = get_object_or_404(selectors.reports_for(request.membership), pk=pk)
    page = as_id(request.GET.get("page")) or 1
    drill = _drill(request)
    context = _result_context(request, report.report_type, report.spec, page, drill, report)
    context["can"] = _can(request)
    context["can_edit"] = selectors.editable_reports(request.membership).filter(pk=pk).exists()
    context["drill_json"] = json.dumps(drill) if drill else ""
    context["boards"] = list(boards.editable_boards(request.membership))  # "Add to dashboard"
    if request.htmx and request.GET.get("page"):
        return render(request, "reports/_result.html", context)
    context.update(subscription_views.subscription_context(request.membership, report))
    return render(request, "reports/run.html", context)


@can_view("report")
def report_export(request, pk):
    report = get_object_or_404(selectors.reports_for(request.membership), pk=pk)
    if not request.membership.can("report", "export"):
        raise PermissionDenied
    outcome, compiler = run.compiler_for(
        report.report_type, report.spec, request.membership, request.tenant.time_zone
    )
    if compiler is None:
        messages.error(request, " ".join(outcome.problems))
        return redirect("report_run", pk)
    fmt = "xlsx" if request.GET.get("file_format") == "xlsx" else "csv"
    total = background.needs_background(compiler)
    if total:  # too big to answer at once: a worker writes it, the page follows it
        job = background.export_start(actor=request.membership, report=report, fmt=fmt,
                                      total=total)  # fmt: skip
        return redirect("report_export_status", job.pk)
    return export.response(compiler, report.name, fmt)


@require_POST
@can_view("report")
def report_delete(request, pk):
    report = get_object_or_404(selectors.editable_reports(request.membership), pk=pk)
    services.report_delete(actor=request.membership, report=report)
    messages.success(request, _("The report is deleted."))
    return redirect(reverse("reports"))
