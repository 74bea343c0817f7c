"""Pages of custom dashboards: the list (the sales dashboard and the workspace's custom ones),
a dashboard with its widgets under the dashboard's filters, and the writes behind its buttons
(add, remove and reorder widgets; "Add to dashboard" from a report's page). Thin: boards.py
writes, board_run.py runs the reports as the viewer."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.accounts.models import Membership
from crm.web.decorators import can_view
from crm.web.params import as_id

from . import board_run, boards, dashboards, selectors, subscription_views
from .board_models import DashboardWidget


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@can_view("report")
def board_list(request):
    m = request.membership
    if request.method == "POST":
        try:
            board = boards.board_save(actor=m, name=request.POST.get("name", ""),
                                      is_shared=request.POST.get("is_shared") == "1")  # fmt: skip
            return redirect("board", board.pk)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        except PermissionDenied:
            messages.error(request, _("You cannot create dashboards."))
    return render(request, "reports/boards.html", {
        "boards": list(boards.boards_for(m)),
        "can_sales": m.can("dashboard"), "can_create": m.can("report", "create"),
    })  # fmt: skip


@can_view("report")
def board(request, pk):
    m = request.membership
    board = get_object_or_404(boards.boards_for(m), pk=pk)
    found = dashboards.choices(m)
    filters = board_run.filters_from(request.GET, found, request.tenant)
    shown = board_run.run_board(board, m, request.tenant, filters)
    can_edit = boards.editable_boards(m).filter(pk=pk).exists() and m.can("report", "edit")
    # The reports a widget can show, by name only (select_related(None): no owner joined).
    reports = selectors.reports_for(m).select_related(None).only("pk", "name") if can_edit else []
    return render(request, "reports/board.html", {
        "board": board, "shown": shown, "filters": filters, "can_edit": can_edit,
        "periods": dashboards.PERIODS, "pipelines": found["pipelines"],
        "departments": sorted(found["departments_pickable"].items(), key=lambda d: d[1]),
        "managers": [(u, found["members"][u]["name"]) for u in found["pickable"]],
        "department": as_id(request.GET.get("department")),
        "reports": list(reports),
        "kinds": DashboardWidget.KINDS, "widths": DashboardWidget.WIDTHS,
        **subscription_views.board_subscription_context(m, board),
    })  # fmt: skip


def _editable_or_404(request, pk):
    return get_object_or_404(boards.editable_boards(request.membership), pk=pk)


@require_POST
@can_view("report")
def board_edit(request, pk):
    board = _editable_or_404(request, pk)
    try:
        if request.POST.get("action") == "delete":
            boards.board_delete(actor=request.membership, board=board)
            messages.success(request, _("The dashboard is deleted."))
            return redirect("board_list")
        boards.board_save(actor=request.membership, board=board, name=request.POST.get("name", ""),
                          is_shared=request.POST.get("is_shared") == "1")  # fmt: skip
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("board", pk)


@require_POST
@can_view("report")
def widget_add(request, pk):
    board = _editable_or_404(request, pk)
    try:
        boards.widget_add(
            actor=request.membership, board=board, report_id=as_id(request.POST.get("report")),
            kind=request.POST.get("kind", ""), width=request.POST.get("width", 2),
            value=request.POST.get("value", ""), title=request.POST.get("title", ""),
        )  # fmt: skip
        messages.success(request, _("The widget is added."))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("board", pk)


def _back(request, pk):
    """Back to the dashboard under the filters it was shown with."""
    query = request.POST.get("query", "")
    url = reverse("board", args=[pk])
    return redirect(f"{url}?{QueryDict(query).urlencode()}" if query else url)


@require_POST
@can_view("report")
def widget_edit(request, pk, widget_pk):
    """The widget's editor: its width (also the narrower / wider buttons), title and, for a
    KPI, the summary it shows."""
    board = _editable_or_404(request, pk)
    widget = get_object_or_404(board.widgets.select_related("report"), pk=widget_pk)
    data = {key: request.POST[key] for key in ("value", "title") if key in request.POST}
    if "width" in request.POST:
        data["width"] = as_id(request.POST["width"])
    try:
        boards.widget_update(actor=request.membership, widget=widget, data=data)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return _back(request, pk)


@require_POST
@can_view("report")
def widget_remove(request, pk, widget_pk):
    board = _editable_or_404(request, pk)
    widget = get_object_or_404(board.widgets, pk=widget_pk)
    boards.widget_remove(actor=request.membership, widget=widget)
    return redirect("board", pk)


@require_POST
@can_view("report")
def widgets_order(request, pk):
    """The order after a drag (htmx / fetch): `widget` ids as they stand."""
    board = _editable_or_404(request, pk)
    boards.widgets_reorder(actor=request.membership, board=board,
                           order=request.POST.getlist("widget"))  # fmt: skip
    return HttpResponse(status=204)


@require_POST
@can_view("report")
def add_report(request):
    """From a report's page: to a chosen dashboard of one's own, or to a new one."""
    m: Membership = request.membership
    report = get_object_or_404(selectors.reports_for(m), pk=as_id(request.POST.get("report")))
    try:
        board_id = as_id(request.POST.get("dashboard"))
        if board_id:
            board = get_object_or_404(boards.editable_boards(m), pk=board_id)
        else:
            board = boards.board_save(actor=m, name=request.POST.get("name", ""))
        boards.widget_add(actor=m, board=board, report_id=report.pk,
                          kind=request.POST.get("kind", ""),
                          width=request.POST.get("width", 2))  # fmt: skip
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("report_run", report.pk)
    except PermissionDenied:
        messages.error(request, _("You cannot change dashboards."))
        return redirect("report_run", report.pk)
    messages.success(request, _("The report is added to the dashboard."))
    return redirect("board", board.pk)
