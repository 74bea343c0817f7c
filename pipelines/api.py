"""API of the funnels' set-up: pipelines (with their stages), stages, lost reasons.

Every member reads them (the board needs them); only admins change them. Writes go through
pipelines.services, so the API, the settings pages and the demo agree.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from crm.api.fields import IdField, ScopedPrimaryKeyRelatedField
from crm.api.pagination import CursorPagination
from crm.api.permissions import ManagesWorkspaceOrReadOnly
from crm.api.viewsets import WORKSPACE, ScopedViewSetMixin
from crm.web.params import parse_id

from . import services
from .models import LostReason, Pipeline, Stage


class PositionPagination(CursorPagination):
    """Set-up lists come in the admin's order."""

    ordering = ("position", "id")


class StageSerializer(serializers.ModelSerializer):
    pipeline = ScopedPrimaryKeyRelatedField(Pipeline)
    position = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=_("Where a new stage goes (0 is first); reorder with pipelines/{id}/reorder/."),
    )

    class Meta:
        model = Stage
        fields = ["id", "pipeline", "name", "position", "color", "probability", "kind",
                  "rotting_days"]  # fmt: skip


class StageUpdateSerializer(StageSerializer):
    class Meta(StageSerializer.Meta):
        read_only_fields = ["pipeline", "position"]


class NestedStageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = ["id", "name", "position", "color", "probability", "kind", "rotting_days"]


class PipelineSerializer(serializers.ModelSerializer):
    stages = NestedStageSerializer(many=True, read_only=True)

    class Meta:
        model = Pipeline
        fields = ["id", "name", "position", "is_archived", "created_at", "stages"]
        read_only_fields = ["id", "position", "created_at"]


class ReorderSerializer(serializers.Serializer):
    stages = serializers.ListField(
        child=IdField(), help_text=_("Every stage id of the pipeline, in order.")
    )


class LostReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = LostReason
        fields = ["id", "name", "position"]


class PipelineViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Sales funnels and their stages. DELETE works only for a funnel without deals; archive
    one that has deals (PATCH {"is_archived": true})."""

    scope = WORKSPACE

    serializer_class = PipelineSerializer
    permission_classes = [ManagesWorkspaceOrReadOnly]
    pagination_class = PositionPagination
    queryset = Pipeline.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        stages = Prefetch("stages", queryset=Stage.objects.order_by("position", "id"))
        qs = Pipeline.objects.prefetch_related(stages)
        archived = self.request.query_params.get("is_archived")
        if self.action == "list" and archived in ("true", "false"):
            qs = qs.filter(is_archived=archived == "true")
        return qs

    @extend_schema(
        parameters=[OpenApiParameter("is_archived", bool, description="Only (not) archived.")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        pipeline = services.pipeline_create(
            actor=self.request.membership, name=serializer.validated_data["name"]
        )
        if serializer.validated_data.get("is_archived"):
            services.pipeline_archive(actor=self.request.membership, pipeline=pipeline)
        serializer.instance = self.get_queryset().get(pk=pipeline.pk)

    def perform_update(self, serializer):
        actor, pipeline = self.request.membership, serializer.instance
        data = serializer.validated_data
        if "name" in data:
            services.pipeline_rename(actor=actor, pipeline=pipeline, name=data["name"])
        if "is_archived" in data:
            services.pipeline_archive(actor=actor, pipeline=pipeline, archived=data["is_archived"])
        serializer.instance = self.get_queryset().get(pk=pipeline.pk)

    def perform_destroy(self, instance):
        services.pipeline_delete(actor=self.request.membership, pipeline=instance)

    @extend_schema(request=ReorderSerializer, responses=PipelineSerializer)
    @action(detail=True, methods=["post"])
    def reorder(self, request, pk=None):
        """Put the pipeline's stages in the given order."""
        pipeline = self.get_object()
        body = ReorderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.stages_reorder(
            actor=request.membership, pipeline=pipeline, stage_ids=body.validated_data["stages"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=pipeline.pk)).data)


class StageViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Stages of every pipeline (`?pipeline=` for one). Deleting a stage that has deals needs
    `?move_to=<stage id>`: its deals move there first."""

    scope = WORKSPACE

    permission_classes = [ManagesWorkspaceOrReadOnly]
    pagination_class = PositionPagination
    queryset = Stage.all_tenants.none()
    filter_backends = []

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return StageUpdateSerializer
        return StageSerializer

    def scoped_queryset(self, membership):
        qs = Stage.objects.all()
        if self.action == "list":
            pipeline = parse_id(self.request.query_params.get("pipeline"), "pipeline")
            if pipeline is not None:
                qs = qs.filter(pipeline_id=pipeline)
        return qs

    @extend_schema(parameters=[OpenApiParameter("pipeline", int, description="A pipeline id.")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        pipeline, position = data.pop("pipeline"), data.pop("position", None)
        serializer.instance = services.stage_create(
            actor=self.request.membership, pipeline=pipeline, data=data, position=position
        )

    def perform_update(self, serializer):
        serializer.instance = services.stage_update(
            actor=self.request.membership,
            stage=serializer.instance,
            data=dict(serializer.validated_data),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "move_to", int, description="The stage (same pipeline) its deals move to."
            )
        ]
    )
    def destroy(self, request, *args, **kwargs):
        stage = self.get_object()
        move_to = None
        move_to_id = parse_id(request.query_params.get("move_to"), "move_to")
        if move_to_id is not None:
            move_to = Stage.objects.filter(pk=move_to_id).first()
            if move_to is None:
                raise ValidationError({"move_to": [_("No such stage.")]})
        services.stage_delete(actor=request.membership, stage=stage, move_to=move_to)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LostReasonViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Why deals are lost: a list admins keep, offered when a deal is marked lost."""

    scope = WORKSPACE

    serializer_class = LostReasonSerializer
    permission_classes = [ManagesWorkspaceOrReadOnly]
    pagination_class = PositionPagination
    queryset = LostReason.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        return LostReason.objects.all()

    def perform_create(self, serializer):
        serializer.instance = services.lost_reason_save(
            actor=self.request.membership, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.lost_reason_save(
            actor=self.request.membership,
            reason=serializer.instance,
            name=data.get("name", serializer.instance.name),
            position=data.get("position"),
        )

    def perform_destroy(self, instance):
        services.lost_reason_delete(actor=self.request.membership, reason=instance)
