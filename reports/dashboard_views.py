"""Pages: the sales dashboard (/dashboards/) and the sales plans (/dashboards/plans/)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm.accounts.models import Department, User
from crm.web.decorators import can_view

from . import dashboards, plans, rebuilds
from .dashboard_api import dashboard_json
from .plan_models import SalesPlan


@can_view("dashboard")
def sales(request):
    filters = dashboards.parse_filters(request.GET, request.tenant)
    data = dashboards.sales_dashboard(request.membership, filters, request.tenant)
    found = dashboards.choices(request.membership)
    return render(request, "reports/dashboard.html", {
        "data": data, "filters": filters, "periods": dashboards.PERIODS,
        "last_day": filters.stop - dt.timedelta(days=1),
        "pipelines": found["pipelines"],
        "departments": sorted(found["departments_pickable"].items(), key=lambda d: d[1]),
        "managers": [(u, found["members"][u]["name"]) for u in found["pickable"]],
        "chart_data": dashboard_json(data),
        "can_plans": request.membership.can("sales_plan"),
        "recalculating": rebuilds.busy(request.tenant.pk),
    })  # fmt: skip


def _target(request):
    """The manager or department named in the form, looked up in this workspace."""
    user = department = None
    if request.POST.get("user"):
        user = User.objects.filter(
            pk=_id(request.POST["user"]), memberships__tenant_id=request.tenant.pk
        ).first()
        if user is None:
            raise ValidationError({"user": _("Not an active member of this workspace.")})
    if request.POST.get("department"):
        department = Department.objects.filter(pk=_id(request.POST["department"])).first()
        if department is None:
            raise ValidationError({"department": _("No such department.")})
    return user, department


def _id(value) -> int:
    return int(value) if str(value).isdigit() else 0


@can_view("sales_plan")
def plan_list(request):
    membership = request.membership
    errors = {}
    if request.method == "POST":
        try:
            if request.POST.get("action") == "delete":
                plan = plans.plans_for(membership).filter(pk=_id(request.POST.get("plan"))).first()
                if plan is None:
                    raise Http404
                plans.plan_delete(actor=membership, plan=plan)
                messages.success(request, _("The plan was removed."))
            else:
                user, department = _target(request)
                try:
                    start = dt.date.fromisoformat(request.POST.get("start", "") + "-01")
                except ValueError:
                    raise ValidationError({"start": _("Choose the month.")}) from None
                plans.plan_save(
                    actor=membership, period=request.POST.get("period", ""), start=start,
                    user=user, department=department, amount=request.POST.get("amount"),
                    deals=request.POST.get("deals"),
                )  # fmt: skip
                messages.success(request, _("The plan was saved."))
            return redirect("sales_plans")
        except ValidationError as exc:
            errors = exc.message_dict
        except PermissionDenied:
            errors = {"__all__": [_("You cannot change sales plans.")]}
    found = dashboards.choices(membership)
    rows = list(plans.plans_for(membership).order_by("-start", "period", "id"))
    return render(request, "reports/dashboard_plans.html", {
        "rows": rows, "errors": errors, "periods": SalesPlan.PERIODS,
        "can_edit": membership.can("sales_plan", "create"),
        "members": [(u, found["members"][u]["name"]) for u in found["pickable"]],
        "departments": sorted(found["departments_pickable"].items(), key=lambda d: d[1]),
        "posted": request.POST if errors else {},
    }, status=400 if errors else 200)  # fmt: skip
