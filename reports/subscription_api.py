"""`/api/v1/report-subscriptions/`: a member's subscriptions to saved reports (heads and
admins: everyone's, and they may name another member as `recipient`). Reads go through
reports.subscriptions.subscriptions_for: another's subscription (for an "own" member), like
another workspace's, is a 404. A report the member cannot open is "does not exist"."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers, viewsets

from crm.api.viewsets import OWNED, ScopedViewSetMixin
from crm.tenancy.context import current_tenant_id

from . import selectors, subscriptions
from .api import ReportPermission, _raise
from .models import Report, ReportSubscription


class VisibleReportField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        membership = getattr(request, "membership", None)
        if current_tenant_id() is None or membership is None:
            return Report.all_tenants.none()
        return selectors.reports_for(membership)


class ReportSubscriptionSerializer(serializers.ModelSerializer):
    report = VisibleReportField()
    recipient = serializers.IntegerField(source="recipient_id", required=False)
    recipient_name = serializers.CharField(source="recipient.display_name", read_only=True)
    frequency = serializers.ChoiceField(choices=ReportSubscription.FREQUENCIES)
    condition = serializers.JSONField(required=False)
    time_zone = serializers.SerializerMethodField()

    class Meta:
        model = ReportSubscription
        fields = [
            "id", "target_kind", "report", "recipient", "recipient_name", "frequency",
            "weekday", "day_of_month", "time_of_day", "time_zone", "condition", "is_active",
            "next_run_at", "last_run_at", "last_sent_at", "last_status", "created_by",
            "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "target_kind", "next_run_at", "last_run_at", "last_sent_at",
                            "last_status", "created_by", "created_at"]  # fmt: skip

    def get_time_zone(self, sub) -> str:
        """The recipient's time zone, in which `time_of_day` is read."""
        return subscriptions.recipient_time_zone(sub.recipient, sub.tenant)


def _data(validated: dict) -> dict:
    data = {k: v for k, v in validated.items() if k not in ("report", "recipient_id")}
    if "recipient_id" in validated:
        data["recipient"] = validated["recipient_id"]
    return data


class ReportSubscriptionViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Report subscriptions: the schedule (`frequency` daily / weekly / monthly, `weekday` 0
    for Monday, `day_of_month`, `time_of_day` in the recipient's `time_zone`) and an optional
    `condition` ({"measure": "count" or a summary key, "op": "gt", "value": 0}). The report
    runs as the recipient when mailed."""

    scope = OWNED
    object_type = "report"
    serializer_class = ReportSubscriptionSerializer
    permission_classes = [ReportPermission]
    queryset = ReportSubscription.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        qs = subscriptions.subscriptions_for(membership).select_related("tenant")
        report = self.request.query_params.get("report")
        if report and report.isdigit():
            qs = qs.filter(report_id=int(report))
        return qs

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = subscriptions.subscription_create(
                actor=self.request.membership, report=data["report"], data=_data(data)
            )
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)

    def perform_update(self, serializer):
        data = serializer.validated_data
        if "report" in data and data["report"].pk != serializer.instance.report_id:
            _raise(DjangoValidationError({"report": [_("A subscription's report cannot change.")]}))
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
