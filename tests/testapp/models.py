"""A test-only owned record, to exercise visible_to and the RLS walls generically."""

from django.conf import settings
from django.db import models

from crm.tenancy.models import TenantModel


class Widget(TenantModel):
    name = models.CharField(max_length=50)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["tenant", "owner"], name="widget_owner")]
