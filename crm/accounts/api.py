import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.fields import MemberUserField, ScopedPrimaryKeyRelatedField
from crm.api.filters import ScopedModelChoiceFilter
from crm.api.permissions import IsTenantMember, ManagesWorkspace, ManagesWorkspaceOrReadOnly
from crm.api.viewsets import MANAGERS, PERSONAL, WORKSPACE, ScopedViewSetMixin

from . import selectors, services
from .models import ApiKey, Department, Invitation, Membership, Role, User


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "language", "time_zone"]
        read_only_fields = ["id", "email"]


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["id", "name", "key", "can_manage_workspace", "grants"]
        read_only_fields = ["id", "key"]


class DepartmentSerializer(serializers.ModelSerializer):
    head = MemberUserField(allow_null=True, required=False)

    class Meta:
        model = Department
        fields = ["id", "name", "head"]


class MemberSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)
    role = ScopedPrimaryKeyRelatedField(Role)
    department = ScopedPrimaryKeyRelatedField(Department, allow_null=True, required=False)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "department", "is_active", "joined_at"]
        read_only_fields = ["id", "is_active", "joined_at"]


class InvitationSerializer(serializers.ModelSerializer):
    role = ScopedPrimaryKeyRelatedField(Role)
    department = ScopedPrimaryKeyRelatedField(Department, allow_null=True, required=False)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "department", "status", "created_at", "expires_at"]
        read_only_fields = ["id", "status", "created_at", "expires_at"]


class ApiKeySerializer(serializers.ModelSerializer):
    key = serializers.SerializerMethodField(help_text=_("Shown once, on creation."))

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "key"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at"]

    def get_key(self, obj) -> str | None:
        return self.context.get("raw_key")


class MeSerializer(serializers.Serializer):
    user = UserSerializer()
    tenant = serializers.SerializerMethodField()
    role = RoleSerializer()
    department = DepartmentSerializer(allow_null=True)

    def get_tenant(self, membership) -> dict:
        t = membership.tenant
        return {
            "id": t.pk,
            "name": t.name,
            "slug": t.slug,
            "currency": t.currency,
            "time_zone": t.time_zone,
            "language": t.language,
        }


class MeView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.membership).data)


class RoleViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    scope = WORKSPACE
    serializer_class = RoleSerializer
    permission_classes = [ManagesWorkspaceOrReadOnly]
    ordering_fields = ["id", "name"]
    search_fields = ["name"]
    queryset = Role.all_tenants.none()  # the model, for the router and the schema

    def scoped_queryset(self, membership):
        return selectors.roles()

    def perform_create(self, serializer):
        data = {"grants": {}, **serializer.validated_data}  # no grants: a role that sees nothing
        serializer.instance = services.role_save(actor=self.request.membership, **data)

    def perform_update(self, serializer):
        data = {**RoleSerializer(serializer.instance).data, **serializer.validated_data}
        serializer.instance = services.role_save(
            actor=self.request.membership,
            role=serializer.instance,
            name=data["name"],
            grants=data["grants"],
            can_manage_workspace=data["can_manage_workspace"],
        )

    def perform_destroy(self, instance):
        services.role_delete(actor=self.request.membership, role=instance)


class DepartmentViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    scope = WORKSPACE
    serializer_class = DepartmentSerializer
    permission_classes = [ManagesWorkspaceOrReadOnly]
    ordering_fields = ["id", "name"]
    search_fields = ["name"]
    queryset = Department.all_tenants.none()

    def scoped_queryset(self, membership):
        return selectors.departments()

    def perform_create(self, serializer):
        serializer.instance = services.department_save(
            actor=self.request.membership, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.department_save(
            actor=self.request.membership,
            department=serializer.instance,
            name=data.get("name", serializer.instance.name),
            head=data.get("head", serializer.instance.head),
        )

    def perform_destroy(self, instance):
        services.department_delete(actor=self.request.membership, department=instance)


class MemberFilter(django_filters.FilterSet):
    role = ScopedModelChoiceFilter(Role)
    department = ScopedModelChoiceFilter(Department)

    class Meta:
        model = Membership
        fields = ["is_active"]


class MemberViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Members of the workspace. DELETE deactivates (the person keeps their login)."""

    scope = WORKSPACE

    serializer_class = MemberSerializer
    permission_classes = [ManagesWorkspaceOrReadOnly]
    filterset_class = MemberFilter
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    ordering_fields = ["id", "joined_at"]
    queryset = Membership.all_tenants.none()

    def scoped_queryset(self, membership):
        return selectors.members()

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.member_update(
            actor=self.request.membership,
            membership=serializer.instance,
            role=data.get("role"),
            department=data.get("department", False),
        )

    def perform_destroy(self, instance):
        services.member_deactivate(actor=self.request.membership, membership=instance)


class InvitationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Invitations by email. DELETE revokes a pending invitation."""

    scope = MANAGERS

    serializer_class = InvitationSerializer
    permission_classes = [ManagesWorkspace]
    queryset = Invitation.all_tenants.none()

    def scoped_queryset(self, membership):
        return Invitation.objects.select_related("role", "department")

    def perform_create(self, serializer):
        serializer.instance = services.invitation_create(
            actor=self.request.membership, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.invitation_revoke(actor=self.request.membership, invitation=instance)


class ApiKeyViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your API keys (admins see everyone's). The key itself is in the creation answer only."""

    scope = PERSONAL

    serializer_class = ApiKeySerializer
    permission_classes = [IsTenantMember]
    queryset = ApiKey.all_tenants.none()

    def scoped_queryset(self, membership):
        return selectors.api_keys_visible_to(self.request.membership)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key, raw = services.api_key_create(
            actor=request.membership, name=serializer.validated_data["name"]
        )
        data = ApiKeySerializer(key, context={"raw_key": raw}).data
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.api_key_revoke(actor=self.request.membership, key=instance)
