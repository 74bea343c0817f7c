from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .context import require_tenant_id

CURRENCIES = [
    ("USD", _("USD — US dollar")),
    ("EUR", _("EUR — Euro")),
    ("RUB", _("RUB — Russian rouble")),
    ("MNT", _("MNT — Mongolian tögrög")),
    ("INR", _("INR — Indian rupee")),
    ("GBP", _("GBP — Pound sterling")),
    ("KZT", _("KZT — Kazakhstani tenge")),
    ("CNY", _("CNY — Chinese yuan")),
]
# Django's own empty choice label, which its catalogue does not translate into Russian.
gettext_noop("- Select an option -")
TIME_ZONES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"]


def languages():
    """settings.LANGUAGES, read when a form or serializer asks: as a callable, the choices
    are not copied into migrations, so adding a language needs none."""
    return settings.LANGUAGES


class Tenant(models.Model):
    """A workspace: one company using the CRM. Not itself tenant-scoped."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(
        _("address"),
        max_length=50,
        unique=True,
        validators=[
            RegexValidator(r"^[a-z0-9][a-z0-9-]*$", _("Lowercase letters, digits, dashes."))
        ],
    )
    currency = models.CharField(
        _("default currency"), max_length=3, choices=CURRENCIES, default="USD"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONES, default="UTC")
    language = models.CharField(
        _("language"), max_length=8, choices=languages, default=settings.LANGUAGE_CODE
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        default="US",
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Two capital letters, such as RU or MN."))],
        help_text=_("Phone numbers typed without a country code are read as this country's."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("workspace")

    def __str__(self):
        return self.name


# The current tenant as the database session knows it: the backend (crm/tenancy/backend) keeps
# `app.tenant_id` equal to the current scope before any cursor runs; the row policies read it.
CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::bigint"
CURRENT_USER = "NULLIF(current_setting('app.user_id', true), '')::bigint"


class CurrentTenant(models.Expression):
    """The current tenant's id, checked when the SQL is compiled, not when the queryset is
    built: a queryset made at import time is still scoped to the request that runs it, and
    running one with no current tenant raises NoTenantError.

    It compiles to the very expression the row policy compares with (CURRENT_TENANT), not to
    the id as a literal. The planner then sees one condition, `tenant_id = <setting>`, and
    uses it as the index condition. With a literal it would hold two (`tenant_id = 7` and the
    policy's `tenant_id = <setting>`), prove `<setting> = 7` in a Result node stacked over
    the scan, and pass every row through it: +20 % on a COUNT(*) (bench/bench_rls.py). The
    cost: the planner estimates the tenant's share of a table as the average tenant's, as it
    would for a prepared statement."""

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection):
        require_tenant_id()
        return CURRENT_TENANT, []


class TenantManager(models.Manager):
    """Default manager of tenant-owned models: refuses to query without a current tenant."""

    def get_queryset(self):
        return super().get_queryset().filter(tenant_id=CurrentTenant())

    def none(self):
        # Empty whatever the scope, so building it needs no tenant (schemas, form defaults).
        return super().get_queryset().none()

    def bulk_create(self, objs, *args, **kwargs):
        tenant_id = require_tenant_id()
        objs = list(objs)  # a generator would be used up here, and nothing saved
        for obj in objs:
            if obj.tenant_id is None:
                obj.tenant_id = tenant_id
        return super().bulk_create(objs, *args, **kwargs)


class TenantModel(models.Model):
    """Base of every tenant-owned model.

    - `objects` is scoped to the current tenant and raises with none;
    - `all_tenants` reaches every tenant the database lets it see (migrations, operator
      commands); row-level security still applies to it;
    - indexes and unique constraints lead with `tenant`;
    - `rls_read_extra` may widen what a row policy lets a tenant read (SQL, see rls.py).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", editable=False)

    rls_read_extra: str | None = None

    objects = TenantManager()
    all_tenants = models.Manager()  # noqa: DJ012  (ruff takes it for a field)

    class Meta:
        abstract = True
        base_manager_name = "all_tenants"

    def save(self, *args, **kwargs):
        if self.tenant_id is None:
            self.tenant_id = require_tenant_id()
        super().save(*args, **kwargs)


def tenant_models():
    """Every concrete tenant-owned model of every installed app."""
    from django.apps import apps

    return [
        m
        for m in apps.get_models()
        if issubclass(m, TenantModel) and not m._meta.proxy and m._meta.managed
    ]
