from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from crm.api.exceptions import error_body
from crm.api.fields import IdField, MemberUserField, ScopedPrimaryKeyRelatedField
from crm.api.permissions import IsTenantMember, ManagesWorkspaceOrReadOnly, RolePermission
from crm.api.viewsets import OWNED, WORKSPACE, ScopedViewSetMixin
from crm.web.params import MAX_ID, parse_int

from . import duplicates, selectors, services
from .models import Company, Contact, CustomField


class StringList(serializers.ListField):
    """A list of strings; a single comma-separated string is accepted too."""

    child = serializers.CharField()

    def to_internal_value(self, data):
        if isinstance(data, str):
            return [p.strip() for p in data.replace(";", ",").split(",") if p.strip()]
        return super().to_internal_value(data)


class ClientRecordSerializer(serializers.ModelSerializer):
    owner = MemberUserField(allow_null=True, required=False)
    emails = StringList(required=False)
    phones = StringList(required=False)
    tags = StringList(required=False)
    custom = serializers.DictField(required=False)
    allow_duplicate = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=_("Create even if the record looks like an existing one."),
    )

    COMMON = ["id", "owner", "emails", "phones", "tags", "custom", "created_at", "updated_at",
              "last_activity_at", "last_purchase_at", "allow_duplicate"]  # fmt: skip
    READ_ONLY = ["id", "created_at", "updated_at", "last_activity_at", "last_purchase_at"]

    def validate(self, attrs):
        # Normalisation and validation live in the service; here only the shape.
        return attrs


class CompanySerializer(ClientRecordSerializer):
    # A bare domain is fine: the service adds the scheme before validating.
    website = serializers.CharField(required=False, allow_blank=True, max_length=250)

    class Meta:
        model = Company
        fields = ["name", "legal_name", "tax_number", "industry", "website", "domain",
                  "address", *ClientRecordSerializer.COMMON]  # fmt: skip
        read_only_fields = ["domain", *ClientRecordSerializer.READ_ONLY]


class ContactSerializer(ClientRecordSerializer):
    company = ScopedPrimaryKeyRelatedField(Company, allow_null=True, required=False)
    company_name = serializers.CharField(source="company.name", read_only=True, default=None)
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Contact
        fields = ["full_name", "first_name", "last_name", "middle_name", "company",
                  "company_name", "position", "telegram", "whatsapp", "birthday", "source",
                  "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                  *ClientRecordSerializer.COMMON]  # fmt: skip
        read_only_fields = ClientRecordSerializer.READ_ONLY


class CustomFieldSerializer(serializers.ModelSerializer):
    options = StringList(required=False)

    class Meta:
        model = CustomField
        fields = ["id", "object_type", "key", "label", "field_type", "options", "position"]


class MergeSerializer(serializers.Serializer):
    others = serializers.ListField(child=IdField(), min_length=1, max_length=100)
    picks = serializers.DictField(child=IdField(), required=False)


class BulkSerializer(serializers.Serializer):
    ids = serializers.ListField(child=IdField(), min_length=1, max_length=5000)
    action = serializers.ChoiceField(["assign_owner", "add_tags", "remove_tags", "delete"])
    owner = MemberUserField(
        required=False, help_text=_("For assign_owner: an active member's user id.")
    )
    tags = StringList(required=False)

    def validate(self, attrs):
        if attrs["action"] == "assign_owner" and attrs.get("owner") is None:
            raise ValidationError({"owner": [_("Choose the new owner.")]})
        return attrs


LIST_PARAMETERS = [
    OpenApiParameter(
        "q",
        description="Search: name, company, email or phone, partial or "
        "with typos. Answers the best matches (no further pages).",
    ),
    OpenApiParameter("owner", description="A user id, or `none`."),
    OpenApiParameter("tag", many=True),
    OpenApiParameter("created_after", type=str),
    OpenApiParameter("created_before", type=str),
    OpenApiParameter("no_contact_days", type=int, description="No activity for N days."),
    OpenApiParameter("no_purchase_days", type=int, description="No purchase for N days."),
    OpenApiParameter("cf_<key>", description="A custom field's value."),
]


class ClientRecordViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Shared by companies and contacts: visible_to, filters, search, duplicates, merge."""

    scope = OWNED

    permission_classes = [RolePermission]
    object_type = ""
    filter_backends = []  # filters and ordering come from the selectors

    def scoped_queryset(self, membership):
        qs = selectors.records_for(self.request.membership, self.object_type)
        if self.action == "list":
            params = self.request.query_params
            qs = selectors.apply_filters(qs, params, self.object_type, self.region)
            if not params.get("q"):
                qs = selectors.apply_ordering(qs, params.get("ordering", ""), self.object_type)
        return qs

    @property
    def region(self):
        return self.request.tenant.country

    def get_paginator_ordering(self):
        return self.request.query_params.get("ordering") or "-id"

    @extend_schema(parameters=LIST_PARAMETERS)
    def list(self, request, *args, **kwargs):
        if request.query_params.get("q"):
            size = parse_int(
                request.query_params.get("page_size"), "page_size",
                min_value=1, max_value=MAX_ID, default=20,
            )  # fmt: skip
            rows = self.get_queryset()[: min(size, 100)]
            return Response(
                {
                    "next": None,
                    "previous": None,
                    "results": self.get_serializer(rows, many=True).data,
                }
            )
        ordering = request.query_params.get("ordering", "")
        if ordering and ordering.lstrip("-") in selectors.sortable(self.object_type):
            self.paginator.ordering = (ordering, "-id" if ordering.startswith("-") else "id")
        else:
            self.paginator.ordering = "-id"
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        allow = data.pop("allow_duplicate", False)
        try:
            record = services.record_create(
                actor=request.membership, model=self.model, data=data, allow_duplicate=allow
            )
        except services.DuplicatesFound as exc:
            details = {
                "candidates": self.get_serializer(exc.candidates, many=True).data,
                # Records like it that the member may not see: only that they exist.
                "hidden_matches": exc.hidden,
            }
            body = error_body(409, "duplicate", exc.messages[0], details=details)
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("allow_duplicate", None)
        serializer.instance = services.record_update(
            actor=self.request.membership, record=serializer.instance, data=data
        )

    def perform_destroy(self, instance):
        services.record_delete(actor=self.request.membership, record=instance)

    @extend_schema(request=MergeSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge other records into this one; their notes and history move here."""
        survivor = self.get_object()
        body = MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        others = list(self.get_queryset().filter(pk__in=body.validated_data["others"]))
        if len(others) != len(set(body.validated_data["others"]) - {survivor.pk}):
            raise ValidationError({"others": [_("Some records do not exist.")]})
        record = services.merge(
            actor=request.membership,
            survivor=survivor,
            others=others,
            picks=body.validated_data.get("picks"),
        )
        return Response(self.get_serializer(record).data)

    @action(detail=False, methods=["get"])
    def duplicates(self, request):
        """Groups of records that share an email, a phone or a name (records you can see)."""
        return Response({"groups": duplicates.visible_groups(self.object_type, request.membership)})

    @extend_schema(request=BulkSerializer)
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Assign an owner, add or remove tags, or delete many records at once."""
        body = BulkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        value = data.get("owner") if data["action"] == "assign_owner" else data.get("tags", [])
        count = services.bulk_action(
            actor=request.membership,
            queryset=self.get_queryset().filter(pk__in=data["ids"]),
            action=data["action"],
            value=value,
        )
        return Response({"count": count})


class CompanyViewSet(ClientRecordViewSet):
    serializer_class = CompanySerializer
    object_type = "company"
    model = Company
    queryset = Company.all_tenants.none()


class ContactViewSet(ClientRecordViewSet):
    serializer_class = ContactSerializer
    object_type = "contact"
    model = Contact
    queryset = Contact.all_tenants.none()


class CustomFieldViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Fields admins add to companies and contacts."""

    scope = WORKSPACE

    serializer_class = CustomFieldSerializer
    permission_classes = [ManagesWorkspaceOrReadOnly]
    queryset = CustomField.all_tenants.none()
    filterset_fields = ["object_type"]

    def scoped_queryset(self, membership):
        return CustomField.objects.all()

    def perform_create(self, serializer):
        serializer.instance = services.custom_field_save(
            actor=self.request.membership, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.custom_field_save(
            actor=self.request.membership,
            field=serializer.instance,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        services.custom_field_delete(actor=self.request.membership, field=instance)


__all__ = ["IsTenantMember"]
