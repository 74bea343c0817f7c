"""`/api/v1/report-subscriptions/`: a member's subscriptions to saved reports or custom
dashboards (`report` or `dashboard`, exactly one; heads and admins: everyone's, and they may
name another member as `recipient`). Reads go through
reports.subscriptions.subscriptions_for: another's subscription (for an "own" member), like
another workspace's, is a 404. A report or dashboard the member cannot open (another's
private one, another workspace's) is "does not exist"."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers, viewsets

from crm.api.viewsets import OWNED, ScopedViewSetMixin
from crm.tenancy.context import current_tenant_id

from . import boards, selectors, subscriptions
from .api import ReportPermission, _raise
from .board_models import Dashboard
from .models import Report, ReportSubscription


class VisibleReportField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        membership = getattr(request, "membership", None)
        if current_tenant_id() is None or membership is None:
            return Report.all_tenants.none()
        return selectors.reports_for(membership)


class VisibleDashboardField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        membership = getattr(request, "membership", None)
        if current_tenant_id() is None or membership is None:
            return Dashboard.all_tenants.none()
        return boards.boards_for(membership)


class ReportSubscriptionSerializer(serializers.ModelSerializer):
    report = VisibleReportField(required=False, allow_null=True)
    dashboard = VisibleDashboardField(required=False, allow_null=True)
    recipient = serializers.IntegerField(source="recipient_id", required=False)
    recipient_name = serializers.CharField(source="recipient.display_name", read_only=True)
    frequency = serializers.ChoiceField(choices=ReportSubscription.FREQUENCIES)
    condition = serializers.JSONField(required=False)
    time_zone = serializers.SerializerMethodField()

    class Meta:
        model = ReportSubscription
        fields = [
            "id", "target_kind", "report", "dashboard", "recipient", "recipient_name", "frequency",
            "weekday", "day_of_month", "time_of_day", "time_zone", "condition", "is_active",
            "next_run_at", "last_run_at", "last_sent_at", "last_status", "created_by",
            "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "target_kind", "next_run_at", "last_run_at", "last_sent_at",
                            "last_status", "created_by", "created_at"]  # fmt: skip

    def validate(self, attrs):
        if self.instance is None and (attrs.get("report") is None) == (
            attrs.get("dashboard") is None
        ):
            message = _("Give exactly one of report and dashboard.")
            raise serializers.ValidationError({"report": [message], "dashboard": [message]})
        return attrs

    def get_time_zone(self, sub) -> str:
        """The recipient's time zone, in which `time_of_day` is read."""
        return subscriptions.recipient_time_zone(sub.recipient, sub.tenant)


def _data(validated: dict) -> dict:
    data = {k: v for k, v in validated.items()
            if k not in ("report", "dashboard", "recipient_id")}  # fmt: skip
    if "recipient_id" in validated:
        data["recipient"] = validated["recipient_id"]
    return data


class ReportSubscriptionViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Report subscriptions: the schedule (`frequency` daily / weekly / monthly, `weekday` 0
    for Monday, `day_of_month`, `time_of_day` in the recipient's `time_zone`) and an optional
    `condition` ({"measure": "count" or a summary key, "op": "gt", "value": 0}; a report's
    only). The report, or every widget of the dashboard, runs as the recipient when mailed."""

    scope = OWNED
    object_type = "report"
    serializer_class = ReportSubscriptionSerializer
    permission_classes = [ReportPermission]
    queryset = ReportSubscription.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        qs = subscriptions.subscriptions_for(membership).select_related("tenant")
        for key in ("report", "dashboard"):
            value = self.request.query_params.get(key)
            if value and value.isdigit():
                qs = qs.filter(**{f"{key}_id": int(value)})
        return qs

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = subscriptions.subscription_create(
                actor=self.request.membership,
                report=data.get("report"),
                dashboard=data.get("dashboard"),
                data=_data(data),
            )
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)

    def perform_update(self, serializer):
        data = serializer.validated_data
        instance = serializer.instance
        if "report" in data and getattr(data["report"], "pk", None) != instance.report_id:
            _raise(DjangoValidationError({"report": [_("A subscription's report cannot change.")]}))
        if "dashboard" in data and (
            getattr(data["dashboard"], "pk", None) != serializer.instance.dashboard_id
        ):
            message = _("A subscription's dashboard cannot change.")
            _raise(DjangoValidationError({"dashboard": [message]}))
        try:
            serializer.instance = subscriptions.subscription_update(
                actor=self.request.membership, sub=serializer.instance, data=_data(data)
            )
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)

    def perform_destroy(self, instance):
        try:
            subscriptions.subscription_delete(actor=self.request.membership, sub=instance)
        except DjangoPermissionDenied as exc:
            _raise(exc)
