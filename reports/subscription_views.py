"""The subscription pages: the form and list on a report's page (reports/views.py adds
`subscription_context`), "My subscriptions", and edit / delete. Thin: reports/subscriptions.py
checks and writes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.accounts.models import Membership
from crm.web.decorators import can_view

from . import boards, selectors, subscriptions
from .models import ReportSubscription


def _data(post) -> dict:
    """The form's fields as the service takes them; an empty measure means no condition."""
    data = {k: post.get(k) for k in ("frequency", "weekday", "day_of_month", "time_of_day")}
    if post.get("recipient"):
        data["recipient"] = post.get("recipient")
    data["is_active"] = post.get("is_active", "1") == "1"
    if post.get("condition_measure"):
        data["condition"] = {"measure": post.get("condition_measure"),
                             "op": post.get("condition_op"),
                             "value": post.get("condition_value")}  # fmt: skip
    else:
        data["condition"] = {}
    return data


def form_context(membership, report, sub=None, errors=None, values=None) -> dict:
    """What the subscribe form needs: schedule choices, members (heads and admins), the
    report's measures for a condition."""
    members = []
    if subscriptions.may_subscribe_others(membership):
        members = list(
            Membership.objects.filter(is_active=True)
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "user_id")
        )
    return {
        "sub_form": {
            "sub": sub, "errors": errors or {}, "values": values or {},
            "frequencies": ReportSubscription.FREQUENCIES,
            "weekdays": list(enumerate(subscriptions.WEEKDAYS)),
            "days": range(1, 32), "members": members,
            "measures": subscriptions.measures(report),
            "ops": list(subscriptions.OPS.items()),
        }
    }  # fmt: skip


def _rows(qs) -> list[dict]:
    return [{"sub": s, "schedule": subscriptions.describe(s),
             "condition": subscriptions.describe_condition(s)} for s in qs]  # fmt: skip


def subscription_context(membership, report) -> dict:
    """For a report's page: its subscriptions the viewer sees, and the form."""
    qs = subscriptions.subscriptions_for(membership).filter(report=report)
    return {"subscriptions": _rows(qs), **form_context(membership, report)}


def board_subscription_context(membership, board) -> dict:
    """For a custom dashboard's page: its subscriptions the viewer sees, and the form (no
    condition: a dashboard is always sent)."""
    qs = subscriptions.subscriptions_for(membership).filter(dashboard=board)
    return {"subscriptions": _rows(qs), **form_context(membership, None)}


@require_POST
@can_view("report")
def board_subscribe(request, pk):
    board = get_object_or_404(boards.boards_for(request.membership), pk=pk)
    data = _data(request.POST)
    data.pop("condition")  # the form has none; a dashboard is always sent
    try:
        subscriptions.subscription_create(actor=request.membership, dashboard=board, data=data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Subscribed: the dashboard will be mailed on schedule."))
    return redirect("board", pk)


@require_POST
@can_view("report")
def report_subscribe(request, pk):
    report = get_object_or_404(selectors.reports_for(request.membership), pk=pk)
    try:
        subscriptions.subscription_create(actor=request.membership, report=report,
                                          data=_data(request.POST))  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Subscribed: the report will be mailed on schedule."))
    return redirect("report_run", pk)


@can_view("report")
def subscription_list(request):
    qs = subscriptions.subscriptions_for(request.membership)
    if request.GET.get("all") != "1" or not subscriptions.may_subscribe_others(request.membership):
        qs = qs.filter(recipient_id=request.membership.user_id)
    return render(request, "reports/subscriptions.html", {
        "rows": _rows(qs[:500]), "show_all": request.GET.get("all") == "1",
        "may_others": subscriptions.may_subscribe_others(request.membership),
    })  # fmt: skip


@can_view("report")
def subscription_edit(request, pk):
    sub = get_object_or_404(subscriptions.subscriptions_for(request.membership), pk=pk)
    errors, values = None, None
    if request.method == "POST":
        values = _data(request.POST)
        try:
            subscriptions.subscription_update(actor=request.membership, sub=sub, data=values)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        else:
            messages.success(request, _("The subscription is saved."))
            return redirect("report_subscriptions")
    return render(request, "reports/subscription_edit.html", {
        "sub": sub, **form_context(request.membership, sub.report, sub, errors, values),
    })  # fmt: skip


@require_POST
@can_view("report")
def subscription_delete(request, pk):
    sub = get_object_or_404(subscriptions.subscriptions_for(request.membership), pk=pk)
    report_id, board_id = sub.report_id, sub.dashboard_id
    subscriptions.subscription_delete(actor=request.membership, sub=sub)
    messages.success(request, _("The subscription is deleted."))
    if request.POST.get("next") == "report" and report_id:
        return redirect("report_run", report_id)
    if request.POST.get("next") == "board" and board_id:
        return redirect("board", board_id)
    return redirect("report_subscriptions")
