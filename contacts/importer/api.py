"""/api/v1/imports/: upload a spreadsheet, preview it, start it, poll it, fetch its errors.

Register in crm/api/urls.py:
    router.register("imports", importer_api.ImportJobViewSet, basename="import")

    POST /imports/                 multipart: file, [object_type=contact] -> 201 the job
    GET  /imports/                 the imports the member may see (newest first), without
                                   their `headers` (up to 500 names each)
    GET  /imports/{id}/            the job: status, progress, counts, headers (poll this)
    GET  /imports/{id}/preview/    ?limit=20, optional ?mapping={"0": "emails", ...} (JSON)
    POST /imports/{id}/encoding/   {"encoding": "cp1251"} -> 200 the job, its CSV read again
                                   in that encoding (preview's `encodings` lists them)
    POST /imports/{id}/start/      {"mapping": {...}, "duplicate_policy": "skip",
                                    "save_template_as": ""} -> 202 the job
    POST /imports/{id}/retry/      -> 202 the job, a failed import queued again with its
                                   mapping and policy (400 when it did not fail)
    GET  /imports/{id}/errors/     the failed rows as CSV (404 when there are none)
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from crm.api.parsers import SafeJSONParser
from crm.api.permissions import IsTenantMember
from crm.api.viewsets import PERSONAL, ScopedViewSetMixin
from crm.web import params

from ..models import ImportJob
from . import services
from .reader import ImportFileError
from .run import errors_response


class ImportJobSerializer(serializers.ModelSerializer):
    progress = serializers.IntegerField(read_only=True)
    has_errors_file = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id", "object_type", "original_name", "encoding", "headers", "mapping",
            "duplicate_policy",
            "status", "total", "processed", "progress", "created", "updated", "skipped",
            "failed", "error", "has_errors_file", "created_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_has_errors_file(self, job) -> bool:
        return bool(job.errors_file)


class ImportJobListSerializer(ImportJobSerializer):
    """A list row: the header names are the detail's (a page of jobs stays small)."""

    class Meta(ImportJobSerializer.Meta):
        fields = [f for f in ImportJobSerializer.Meta.fields if f != "headers"]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)  # the reader says what is wrong
    object_type = serializers.ChoiceField(["contact"], default="contact")


class ImportEncodingSerializer(serializers.Serializer):
    # One of the preview's `encodings`; the service says when it is not.
    encoding = serializers.CharField(max_length=40)


class ImportStartSerializer(serializers.Serializer):
    mapping = serializers.DictField(child=serializers.CharField(allow_blank=True))
    duplicate_policy = serializers.ChoiceField(ImportJob.POLICIES)
    save_template_as = serializers.CharField(required=False, allow_blank=True, max_length=120)


class ImportJobViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    scope = PERSONAL
    serializer_class = ImportJobSerializer
    permission_classes = [IsTenantMember]
    queryset = ImportJob.all_tenants.none()  # the model, for the router and the schema
    parser_classes = [MultiPartParser, FormParser, SafeJSONParser]

    def scoped_queryset(self, membership):
        jobs = services.import_jobs_for(self.request.membership)
        return jobs.defer("headers") if self.action == "list" else jobs

    def get_serializer_class(self):
        return ImportJobListSerializer if self.action == "list" else ImportJobSerializer

    def create(self, request, *args, **kwargs):
        data = ImportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            job = services.import_create(
                actor=request.membership,
                upload=data.validated_data["file"],
                object_type=data.validated_data["object_type"],
            )
        except ImportFileError as exc:
            raise ValidationError({"file": exc.messages}, code=exc.code) from exc
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        job = self.get_object()
        mapping = request.query_params.get("mapping")
        if mapping:
            try:
                mapping = params.json_loads(mapping)
            except ValueError as exc:
                raise ValidationError({"mapping": "Not JSON."}) from exc
        try:
            limit = max(1, min(int(request.query_params.get("limit", 20)), 100))
        except ValueError:
            limit = 20
        result = services.import_preview(job, limit=limit, mapping=mapping or None)
        result["mapping"] = {str(k): v for k, v in result["mapping"].items()}
        result["fields"] = [{"name": n, "label": label} for n, label in result["fields"]]
        result["encodings"] = [{"name": n, "label": label} for n, label in result["encodings"]]
        return Response(result)

    @extend_schema(request=ImportEncodingSerializer, responses=ImportJobSerializer)
    @action(detail=True, methods=["post"])
    def encoding(self, request, pk=None):
        """Read the uploaded CSV again in another encoding (before the import starts)."""
        job = self.get_object()
        data = ImportEncodingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            job = services.import_reread(
                actor=request.membership, job=job, encoding=data.validated_data["encoding"]
            )
        except ImportFileError as exc:
            raise ValidationError({"encoding": exc.messages}, code=exc.code) from exc
        return Response(ImportJobSerializer(job).data)

    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        job = self.get_object()
        data = ImportStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.import_start(actor=request.membership, job=job, **data.validated_data)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=ImportJobSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a failed import again (a worker died midway: nothing of it was saved)."""
        job = services.import_retry(actor=request.membership, job=self.get_object())
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        return errors_response(self.get_object())
