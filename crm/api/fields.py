from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.api.filters import members_of_workspace
from crm.tenancy.context import current_tenant_id
from crm.web.params import MAX_ID


class IdField(serializers.IntegerField):
    """A record id in a request body: a whole number within a bigint, so a huge one is a
    400 rather than an error in the database."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id limited to the current workspace: another tenant's id is "does not exist".

    Takes the model, not a queryset, so the queryset is built per request, inside the scope.
    """

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        if current_tenant_id() is None:  # schema generation, say: fall back to nothing
            return getattr(self.model, "all_tenants", self.model._default_manager).none()
        return self.model.objects.all()

    def use_pk_only_optimization(self):
        return True


@extend_schema_field(OpenApiTypes.INT)
class MemberUserField(serializers.PrimaryKeyRelatedField):
    """A user id limited to the active members of the current workspace."""

    def get_queryset(self):
        return members_of_workspace(None)
