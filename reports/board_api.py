"""API of custom dashboards: `/api/v1/dashboards/` (list, create, retrieve, update, delete)
with their widgets, and `GET /api/v1/dashboards/{id}/run/` (every widget's figures, run as
the caller). The built-in `GET /api/v1/dashboards/sales/` is its own route, registered
before these; ids here are numbers only, so "sales" never reaches this viewset.

Reads: one's own dashboards and the shared ones (another's private one, like another
workspace's, is a 404); changes: one's own (admins: shared ones too). A widget may only name
a report the caller sees: another workspace's report is a 400."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.api.viewsets import OWNED, ScopedViewSetMixin

from . import board_run, boards, dashboards
from .api import ReportPermission, _raise
from .board_models import Dashboard, DashboardWidget


class WidgetSerializer(serializers.ModelSerializer):
    report = serializers.IntegerField(source="report_id")

    class Meta:
        model = DashboardWidget
        fields = ["id", "report", "kind", "width", "value", "title", "position"]
        read_only_fields = ["id", "position"]


class DashboardSerializer(serializers.ModelSerializer):
    widgets = WidgetSerializer(many=True, required=False)
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)

    class Meta:
        model = Dashboard
        fields = ["id", "name", "is_shared", "owner", "owner_name", "created_at", "widgets"]
        read_only_fields = ["id", "owner", "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["widgets"] = WidgetSerializer(
            sorted(instance.widgets.all(), key=lambda w: (w.position, w.pk)), many=True
        ).data
        return data


class DashboardViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Custom dashboards. `widgets` (in their order) replaces a dashboard's widgets when
    given: `[{"report": 12, "kind": "chart|kpi|table", "width": 1-4, "value": "", "title":
    ""}]`."""

    scope = OWNED
    object_type = "report"
    serializer_class = DashboardSerializer
    permission_classes = [ReportPermission]
    queryset = Dashboard.all_tenants.none()
    filter_backends = []
    lookup_value_regex = r"\d+"

    def scoped_queryset(self, membership):
        qs = (boards.editable_boards(membership)
              if self.action in ("update", "partial_update", "destroy")
              else boards.boards_for(membership))  # fmt: skip
        return qs.prefetch_related("widgets")

    @transaction.atomic
    def _save(self, serializer, board=None):
        data = serializer.validated_data
        actor = self.request.membership
        try:
            board = boards.board_save(
                actor=actor, board=board, name=data.get("name", board.name if board else ""),
                is_shared=data.get("is_shared", board.is_shared if board else False),
            )  # fmt: skip
            if "widgets" in data:
                board.widgets.all().delete()
                for w in data["widgets"]:
                    boards.widget_add(
                        actor=actor, board=board, report_id=w["report_id"],
                        kind=w.get("kind", DashboardWidget.CHART), width=w.get("width", 2),
                        value=w.get("value", ""), title=w.get("title", ""),
                    )  # fmt: skip
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)
        serializer.instance = Dashboard.objects.prefetch_related("widgets").get(pk=board.pk)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        try:
            boards.board_delete(actor=self.request.membership, board=instance)
        except DjangoPermissionDenied as exc:
            _raise(exc)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def run(self, request, pk=None):
        """Every widget's figures as the caller sees them, under the dashboard filters
        `?period=`, `?pipeline=`, `?department=`, `?manager=` (as on the page)."""
        board = self.get_object()
        found = dashboards.choices(request.membership)
        filters = board_run.filters_from(request.query_params, found, request.tenant)
        shown = board_run.run_board(board, request.membership, request.tenant, filters)
        out = []
        for s in shown:
            item = {"id": s.widget.pk, "kind": s.widget.kind, "report": s.widget.report_id,
                    "problems": s.problems}  # fmt: skip
            if s.widget.kind == DashboardWidget.KPI and not s.problems:
                item.update(value=s.value, previous=s.previous,
                            change=None if s.change is None else str(s.change))  # fmt: skip
            elif s.result is not None:
                item["groups"] = s.result.groups
            out.append(item)
        return Response({"widgets": out})
