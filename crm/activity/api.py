import django_filters
from rest_framework import serializers, viewsets

from crm.api.filters import members_of_workspace
from crm.api.permissions import ManagesWorkspace

from . import selectors
from .models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "actor",
            "created_at",
        ]

    def get_actor(self, entry) -> str | None:
        return entry.actor.email if entry.actor else None


class AuditEntryFilter(django_filters.FilterSet):
    actor = django_filters.ModelChoiceFilter(queryset=members_of_workspace)

    class Meta:
        model = AuditEntry
        fields = ["object_type", "object_id", "action"]


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The workspace's audit trail: who changed what, when, old and new values."""

    serializer_class = AuditEntrySerializer
    permission_classes = [ManagesWorkspace]
    filterset_class = AuditEntryFilter
    queryset = AuditEntry.all_tenants.none()

    def get_queryset(self):
        return selectors.audit_trail()
