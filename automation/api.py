"""Automation's API: rules (with versions, reorder, switch off, dry run), runs (with their
steps, and retry of a failed one), and the catalogue an editor renders its forms from.

Only admins and roles granted "automation" reach it; another workspace's rule or run is a
404 like one that never existed.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.fields import IdField
from crm.api.permissions import IsTenantMember
from crm.api.viewsets import MANAGERS, ScopedViewSetMixin
from crm.web.params import as_id

from . import dryrun, selectors, services
from .models import Rule, RuleVersion, Run, Step


class AutomationPermission(IsTenantMember):
    """Reading needs view on "automation"; creating, create; deleting, delete; anything
    else edit. Admins always may."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            needed = "view"
        elif request.method == "DELETE":
            needed = "delete"
        elif getattr(view, "action", None) == "create":
            needed = "create"
        else:
            needed = "view" if getattr(view, "action", None) == "dry_run" else "edit"
        return services.can(request.membership, needed)


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RuleVersion
        fields = ["id", "number", "spec", "created_by", "created_at"]
        read_only_fields = fields


class RuleSerializer(serializers.ModelSerializer):
    """A rule with its current version's spec spread out: trigger, conditions, actions."""

    trigger = serializers.JSONField()
    conditions = serializers.JSONField(required=False, allow_null=True)
    actions = serializers.JSONField()
    pipeline = IdField(required=False, allow_null=True)
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = Rule
        fields = ["id", "name", "is_active", "pipeline", "stage", "position", "trigger",
                  "conditions", "actions", "version", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "stage", "position", "version", "created_at", "updated_at"]

    def to_representation(self, rule):
        spec = rule.version.spec if rule.version else {}
        return {
            "id": rule.pk, "name": rule.name, "is_active": rule.is_active,
            "pipeline": rule.pipeline_id, "stage": rule.stage_id, "position": rule.position,
            "trigger": spec.get("trigger"), "conditions": spec.get("conditions"),
            "actions": spec.get("actions", []),
            "version": rule.version.number if rule.version else None,
            "created_at": serializers.DateTimeField().to_representation(rule.created_at),
            "updated_at": serializers.DateTimeField().to_representation(rule.updated_at),
        }  # fmt: skip


class RuleReorderSerializer(serializers.Serializer):
    rules = serializers.ListField(child=IdField(), min_length=1, max_length=1000)


class DryRunSerializer(serializers.Serializer):
    object_type = serializers.CharField(max_length=40, default="deal")
    object_id = IdField()
    rule = IdField(required=False, help_text="Only this rule (active or not).")


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = Step
        fields = ["id", "index", "action", "due_at", "status", "attempts", "result", "error",
                  "done_at"]  # fmt: skip
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = Run
        fields = ["id", "rule", "rule_name", "version", "status", "error", "event_id",
                  "event_type", "object_type", "object_id", "chain", "depth", "created_at",
                  "finished_at", "steps"]  # fmt: skip
        read_only_fields = fields


class RuleViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Automation rules. Writing the trigger, conditions or actions saves a new version;
    runs keep the version they started with. `is_active: false` switches a rule off."""

    scope = MANAGERS
    serializer_class = RuleSerializer
    permission_classes = [AutomationPermission]
    queryset = Rule.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        rules = selectors.rules_for(membership)
        params = self.request.query_params
        for name in ("pipeline", "stage"):
            if name in params:
                rules = rules.filter(**{f"{name}_id": as_id(params[name])})
        if "trigger" in params:
            rules = rules.filter(trigger=params["trigger"])
        return rules

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        rule = services.rule_create(
            actor=request.membership, name=data["name"], pipeline_id=data.get("pipeline"),
            is_active=data.get("is_active", True),
            spec={"trigger": data["trigger"], "conditions": data.get("conditions"),
                  "actions": data["actions"]},
        )  # fmt: skip
        rule = selectors.rules_for(request.membership).get(pk=rule.pk)
        return Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        rule = self.get_object()
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(rule, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        services.rule_update(actor=request.membership, rule=rule, data=data)
        rule = selectors.rules_for(request.membership).get(pk=rule.pk)
        return Response(self.get_serializer(rule).data)

    def perform_destroy(self, instance):
        services.rule_delete(actor=self.request.membership, rule=instance)

    @extend_schema(responses=VersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        """Every saved version of the rule, oldest first."""
        rule = self.get_object()
        return Response(VersionSerializer(rule.versions.order_by("number"), many=True).data)

    @extend_schema(request=RuleReorderSerializer, responses=RuleSerializer(many=True))
    @action(detail=False, methods=["post"])
    def reorder(self, request):
        """Put the rules in this order (a stage's column, say)."""
        serializer = RuleReorderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rules = services.rules_reorder(
            actor=request.membership, rule_ids=serializer.validated_data["rules"]
        )
        rules = selectors.rules_for(request.membership).filter(pk__in=[r.pk for r in rules])
        return Response(self.get_serializer(rules, many=True).data)

    @extend_schema(request=DryRunSerializer)
    @action(detail=False, methods=["post"], url_path="dry-run")
    def dry_run(self, request):
        """Test on a record: which rules would fire on it now (as if it had just entered its
        stage or had its trigger's event) and what each action would do. Does nothing."""
        serializer = DryRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return Response(
            dryrun.dry_run(
                membership=request.membership, object_type=data["object_type"],
                object_id=data["object_id"], rule_id=data.get("rule"),
            )
        )  # fmt: skip


class RunViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                 viewsets.GenericViewSet):  # fmt: skip
    """The history of rules: `?rule=`, `?status=`, `?object_type=&object_id=` filter it."""

    scope = MANAGERS
    serializer_class = RunSerializer
    permission_classes = [AutomationPermission]
    queryset = Run.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        return selectors.runs_for(membership, self.request.query_params)

    @extend_schema(
        parameters=[OpenApiParameter("rule", int), OpenApiParameter("status", str)],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=RunSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Run the failed step again, and what follows it."""
        run = services.step_retry(actor=request.membership, run=self.get_object())
        run = selectors.runs_for(request.membership).get(pk=run.pk)
        return Response(self.get_serializer(run).data)


class CatalogueView(APIView):
    """What rules are made of: triggers and actions with labels and JSON schemas of their
    parameters, the fields conditions read per record type (custom fields included), the
    operators per field type, and the shape of a delay."""

    permission_classes = [AutomationPermission]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(services.catalogue())
