"""API: GET /api/v1/dashboards/sales/ (the sales dashboard's widgets as JSON) and
/api/v1/sales-plans/ (read and set plans)."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.accounts.models import Department
from crm.api.fields import MemberUserField, ScopedPrimaryKeyRelatedField
from crm.api.pagination import CursorPagination
from crm.api.permissions import IsTenantMember, RolePermission
from crm.api.viewsets import OWNED, ScopedViewSetMixin

from . import dashboards, plans
from .plan_models import SalesPlan


def dashboard_json(value):
    """Decimals as strings (exact), dates as ISO text: the API's and the page's charts'."""
    if isinstance(value, dict):
        return {str(k): dashboard_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [dashboard_json(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


class SalesDashboardView(APIView):
    """The default sales dashboard, as the caller sees it (own visibility: own numbers)."""

    permission_classes = [IsTenantMember]

    @extend_schema(
        parameters=[
            OpenApiParameter("period", enum=list(dashboards.PERIODS)),
            OpenApiParameter("pipeline", int),
            OpenApiParameter("department", int),
            OpenApiParameter("manager", int, description="A user id."),
        ],
        responses={200: dict},
    )
    def get(self, request):
        if not request.membership.can("dashboard"):
            raise PermissionDenied
        filters = dashboards.parse_filters(request.query_params, request.tenant)
        data = dashboards.sales_dashboard(request.membership, filters, request.tenant)
        return Response(dashboard_json(data))


class PlanPagination(CursorPagination):
    ordering = ("-start", "id")


class SalesPlanSerializer(serializers.ModelSerializer):
    user = MemberUserField(required=False, allow_null=True)
    department = ScopedPrimaryKeyRelatedField(Department, required=False, allow_null=True)

    class Meta:
        model = SalesPlan
        fields = ["id", "period", "start", "user", "department", "amount", "deals",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["id", "updated_at"]
        validators = []  # the service says what is wrong, in the error shape of the API


class SalesPlanViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Sales plans per manager or department, per month or quarter (`start` may be any day
    of it). Admins set every plan, heads their department's, managers read their own.
    Posting a plan for a target and period that has one updates it."""

    scope = OWNED
    object_type = "sales_plan"
    serializer_class = SalesPlanSerializer
    permission_classes = [RolePermission]
    pagination_class = PlanPagination
    queryset = SalesPlan.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        return plans.plans_for(membership)

    def _save(self, serializer, plan=None):
        data = {**({} if plan is None else {
            "period": plan.period, "start": plan.start, "user": plan.user,
            "department": plan.department, "amount": plan.amount, "deals": plan.deals,
        }), **serializer.validated_data}  # fmt: skip
        serializer.instance = plans.plan_save(
            actor=self.request.membership, plan=plan, period=data.get("period", "month"),
            start=data.get("start"), user=data.get("user"), department=data.get("department"),
            amount=data.get("amount"), deals=data.get("deals"),
        )  # fmt: skip

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        plans.plan_delete(actor=self.request.membership, plan=instance)
