"""API of reports: `/api/v1/report-types/`, `/api/v1/reports/` (with run, preview and
export), `/api/v1/report-folders/`, `/api/v1/report-exports/` (background exports) and
`/api/v1/custom-report-types/` (admins).

Reads go through reports.selectors (a member's own reports and the shared ones; another's
private report, like another workspace's, answers 404); changes only to the member's own
(admins: shared ones too). A definition is checked against its report type: a field the type
does not have is a 400 naming it. A report always runs as the viewer.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.exceptions import error_body
from crm.api.permissions import IsTenantMember, ManagesWorkspace, RolePermission
from crm.api.viewsets import MANAGERS, OWNED, PERSONAL, ScopedViewSetMixin
from crm.tenancy.context import current_tenant_id
from crm.web.params import as_id, json_loads

from . import background, custom_types, export, run, selectors, services, types
from .models import CustomReportType, Report, ReportExport, ReportFolder

SPEC_FIELDS = services.SPEC_PARTS


def _raise(exc) -> None:
    if isinstance(exc, DjangoValidationError):
        raise ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        ) from None
    raise PermissionDenied(str(exc) or None) from None


class ReportPermission(RolePermission):
    object_type = "report"

    def has_permission(self, request, view):
        if getattr(view, "action", None) in ("run", "preview"):
            return IsTenantMember.has_permission(self, request, view) and (
                request.membership.can("report", "view")
            )
        if getattr(view, "action", None) == "export":
            return IsTenantMember.has_permission(self, request, view) and (
                request.membership.can("report", "export")
            )
        return super().has_permission(request, view)


# --- report types --------------------------------------------------------------------------


class ReportTypesView(APIView):
    """Every report type with its fields: `key`, `label`, `type`, `filterable`, `groupable`,
    `summable` (custom fields and the fields of linked types, "company.industry", included)."""

    permission_classes = [IsTenantMember]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        out = [
            {
                "key": key,
                "label": str(rt.label),
                "object_type": rt.object_type.key,
                # An admin's own type (a primary with related ones), "custom_<id>".
                "custom": isinstance(rt, custom_types.CustomType),
                # "pairs": a row per (primary, related) pair; "primary": per primary record.
                "rows": getattr(rt, "rows", custom_types.PRIMARY),
                "fields": [f.as_dict() for f in rt.fields().values()],
                # What cross filters reach: {"cross": key, "with": ..., "filters": [...]}
                # over the related type's fields.
                "relations": [
                    {"key": k, "label": str(r.label), "report_type": target.key}
                    for k, (r, target) in rt.relations().items()
                ],
            }
            for key, rt in custom_types.all_types().items()
            if request.membership.can(rt.object_type.key, "view")
        ]
        return Response({"results": out})


# --- folders -------------------------------------------------------------------------------


class ReportFolderSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportFolder
        fields = ["id", "name", "is_shared", "owner", "created_at"]
        read_only_fields = ["id", "owner", "created_at"]


class ReportFolderViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Folders of reports: your own and the shared ones."""

    scope = OWNED
    object_type = "report"
    serializer_class = ReportFolderSerializer
    permission_classes = [ReportPermission]
    queryset = ReportFolder.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        if self.action in ("update", "partial_update", "destroy"):
            return selectors.editable_folders(membership)
        return selectors.folders_for(membership)

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = services.folder_save(
                actor=self.request.membership, name=data["name"],
                is_shared=data.get("is_shared", False),
            )  # fmt: skip
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)

    def perform_update(self, serializer):
        data, folder = serializer.validated_data, serializer.instance
        try:
            serializer.instance = services.folder_save(
                actor=self.request.membership, folder=folder,
                name=data.get("name", folder.name),
                is_shared=data.get("is_shared", folder.is_shared),
            )  # fmt: skip
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)

    def perform_destroy(self, instance):
        try:
            services.folder_delete(actor=self.request.membership, folder=instance)
        except DjangoPermissionDenied as exc:
            _raise(exc)


# --- reports -------------------------------------------------------------------------------


class VisibleFolderField(serializers.PrimaryKeyRelatedField):
    """A folder the member sees; another's private one, or another workspace's, "does not
    exist"."""

    def get_queryset(self):
        request = self.context.get("request")
        membership = getattr(request, "membership", None)
        if current_tenant_id() is None or membership is None:
            return ReportFolder.all_tenants.none()
        return selectors.folders_for(membership)


class ReportSerializer(serializers.ModelSerializer):
    report_type = serializers.CharField(max_length=40)
    columns = serializers.JSONField(required=False)
    filters = serializers.JSONField(required=False)
    filter_logic = serializers.CharField(required=False, allow_blank=True, max_length=500)
    group_by = serializers.JSONField(required=False)
    column_group = serializers.CharField(required=False, allow_blank=True, max_length=80)
    summaries = serializers.JSONField(required=False)
    formulas = serializers.JSONField(required=False)
    sort = serializers.JSONField(required=False, allow_null=True)
    chart = serializers.CharField(required=False, allow_blank=True, max_length=20)
    buckets = serializers.JSONField(required=False)
    folder = VisibleFolderField(allow_null=True, required=False)
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    is_shared = serializers.BooleanField(
        required=False,
        help_text=gettext_lazy("Shared with the workspace; otherwise only its owner sees it."),
    )

    class Meta:
        model = Report
        fields = ["id", "name", "description", "report_type", *SPEC_FIELDS, "is_shared",
                  "folder", "owner", "owner_name", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "owner", "created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for part in SPEC_FIELDS:
            data[part] = instance.spec.get(part)
        return data

    def validate(self, attrs):
        """The definition against its type (on update, merged with what is stored)."""
        instance = self.instance
        report_type = attrs.get("report_type", instance.report_type if instance else "")
        parts = {k: attrs[k] for k in SPEC_FIELDS if k in attrs}
        base = instance.spec if instance and report_type == instance.report_type else {}
        try:
            attrs["definition"] = services.clean_spec(report_type, {**base, **parts})
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        return attrs


class ReportViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Saved reports: your own and the shared ones. `?q=` searches names, `?folder=` a folder,
    `?mine=1` only yours. `run` gives the groups with their summaries and a page of detail
    rows (up to 2,000 in pages), always as the viewer; `preview` runs an unsaved definition;
    `export` gives the full result as CSV or XLSX."""

    scope = OWNED
    object_type = "report"
    serializer_class = ReportSerializer
    permission_classes = [ReportPermission]
    queryset = Report.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        if self.action in ("update", "partial_update", "destroy"):
            return selectors.editable_reports(membership)
        qs = selectors.reports_for(membership)
        params = self.request.query_params
        if params.get("q"):
            qs = qs.filter(Q(name__icontains=params["q"][:100]))
        folder = as_id(params.get("folder"))
        if folder is not None:
            qs = qs.filter(folder_id=folder)
        if params.get("mine") in ("1", "true"):
            qs = qs.filter(owner_id=membership.user_id)
        return qs

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = services.report_create(
                actor=self.request.membership, name=data.get("name", ""),
                report_type=data["report_type"], definition=data["definition"],
                description=data.get("description", ""), is_shared=data.get("is_shared", False),
                folder=data.get("folder"),
            )  # fmt: skip
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.update(data.pop("definition"))
        try:
            serializer.instance = services.report_update(
                actor=self.request.membership, report=serializer.instance, data=data
            )
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)

    def perform_destroy(self, instance):
        try:
            services.report_delete(actor=self.request.membership, report=instance)
        except DjangoPermissionDenied as exc:
            _raise(exc)

    def _answer(self, report_type: str, definition: dict):
        params = self.request.query_params
        try:
            drill = json_loads(params["drill"]) if params.get("drill") else None
            if drill is not None and not isinstance(drill, dict):
                raise ValueError
        except ValueError:
            raise ValidationError({"drill": [_("A JSON object of group keys.")]}) from None
        try:
            outcome = run.run(
                report_type, definition, self.request.membership,
                self.request.tenant.time_zone, page=int(params.get("page") or 1),
                page_size=int(params.get("page_size") or 100), drill=drill,
            )  # fmt: skip
        except ValueError:
            raise ValidationError({"page": [_("A whole number.")]}) from None
        if outcome.result is None:
            body = error_body(400, "report_invalid", " ".join(outcome.problems),
                              {"report": outcome.problems})  # fmt: skip
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(outcome.result.as_json())

    @extend_schema(
        parameters=[
            OpenApiParameter("page", int), OpenApiParameter("page_size", int),
            OpenApiParameter("drill", str, description=gettext_lazy(
                'A group\'s "key" as JSON: the rows of that group only.')),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )  # fmt: skip
    @action(detail=True, methods=["get"])
    def run(self, request, pk=None):
        report = self.get_object()
        return self._answer(report.report_type, report.spec)

    @extend_schema(request=ReportSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"])
    def preview(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        definition = {k: data[k] for k in SPEC_FIELDS if k in data}
        report_type = str(data.get("report_type") or "")
        if types.get(report_type) is None:
            raise ValidationError({"report_type": [_('Unknown report type "%(key)s".')
                                                   % {"key": report_type}]})  # fmt: skip
        return self._answer(report_type, definition)

    @extend_schema(parameters=[OpenApiParameter("file_format", str, enum=["csv", "xlsx"])],
                   responses={200: OpenApiTypes.BINARY})  # fmt: skip
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        report = self.get_object()
        outcome, compiler = run.compiler_for(
            report.report_type, report.spec, request.membership, request.tenant.time_zone
        )
        if compiler is None:
            body = error_body(400, "report_invalid", " ".join(outcome.problems))
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        fmt = "xlsx" if request.query_params.get("file_format") == "xlsx" else "csv"
        total = background.needs_background(compiler)
        if total:  # written by a worker: follow it at /api/v1/report-exports/{id}/
            job = background.export_start(actor=request.membership, report=report, fmt=fmt,
                                          total=total)  # fmt: skip
            body = ReportExportSerializer(job, context={"request": request}).data
            return Response(body, status=status.HTTP_202_ACCEPTED)
        return export.response(compiler, report.name, fmt)


# --- background exports --------------------------------------------------------------------


class ReportExportSerializer(serializers.ModelSerializer):
    progress = serializers.IntegerField(read_only=True)
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportExport
        fields = ["id", "report", "file_format", "status", "total", "processed", "progress",
                  "file_name", "error", "created_at", "finished_at", "status_url",
                  "download_url"]  # fmt: skip
        read_only_fields = fields

    def get_status_url(self, obj) -> str:
        return f"/api/v1/report-exports/{obj.pk}/"

    def get_download_url(self, obj) -> str | None:
        if obj.status != ReportExport.DONE:
            return None
        return f"/api/v1/report-exports/{obj.pk}/download/"


class ReportExportViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Your background exports: status and progress; `download` gives the file once done."""

    scope = PERSONAL
    serializer_class = ReportExportSerializer
    permission_classes = [IsTenantMember]
    queryset = ReportExport.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        return background.exports_for(membership)

    @extend_schema(responses={200: OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = self.get_object()
        if job.status != ReportExport.DONE or not job.file:
            body = error_body(409, "export_not_ready", _("The export is not done yet."))
            return Response(body, status=status.HTTP_409_CONFLICT)
        return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file_name)


# --- custom report types -------------------------------------------------------------------


class CustomReportTypeSerializer(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True)
    related = serializers.JSONField(
        required=False,
        help_text=gettext_lazy('Up to three relations of the primary type: [{"relation": "tasks", '
                        '"with": false}]; "with" true keeps only records that have some.'),
    )  # fmt: skip

    rows = serializers.ChoiceField(
        choices=[custom_types.PRIMARY, custom_types.PAIRS], required=False,
        help_text=gettext_lazy('"primary": one row per primary record (the default); "pairs": '
                               'one row per pair with the relation marked "pairs": true (else '
                               "the first), whose fields are then real columns."),
    )  # fmt: skip

    class Meta:
        model = CustomReportType
        fields = ["id", "key", "name", "description", "primary", "related", "rows",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "key", "created_at", "updated_at"]


class CustomReportTypeViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """The workspace's own report types (admins): a primary type with up to three related
    ones. Reports use them by `key` ("custom_<id>"), as GET /api/v1/report-types/ lists."""

    scope = MANAGERS
    serializer_class = CustomReportTypeSerializer
    permission_classes = [ManagesWorkspace]
    queryset = CustomReportType.all_tenants.none()
    filter_backends = []

    def scoped_queryset(self, membership):
        return CustomReportType.objects.all()

    def _save(self, serializer, instance=None):
        data = serializer.validated_data
        try:
            serializer.instance = custom_types.custom_type_save(
                actor=self.request.membership, custom_type=instance,
                name=data.get("name", instance.name if instance else ""),
                primary=data.get("primary", instance.primary if instance else ""),
                related=data.get("related", instance.related if instance else []),
                description=data.get("description", instance.description if instance else ""),
                rows=data.get("rows"),
            )  # fmt: skip
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            _raise(exc)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        try:
            custom_types.custom_type_delete(actor=self.request.membership, custom_type=instance)
        except DjangoPermissionDenied as exc:
            _raise(exc)
