"""Deals, the products they sell, and every move of a deal through its funnel."""

import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import CURRENCIES, TenantModel

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]
NOT_NEGATIVE = [MinValueValidator(0)]


class Product(TenantModel):
    name = models.CharField(_("name"), max_length=200)
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="pcs")
    price = models.DecimalField(
        _("price"), max_digits=14, decimal_places=2, default=Decimal(0), validators=NOT_NEGATIVE
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="USD")
    tax_rate = models.DecimalField(
        _("tax rate, %"), max_digits=5, decimal_places=2, default=Decimal(0), validators=PERCENT
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "sku"], name="product_sku")]
        verbose_name = _("product")

    def __str__(self):
        return self.name


class Deal(TenantModel):
    OPEN, WON, LOST = "open", "won", "lost"
    STATUSES = [(OPEN, _("Open")), (WON, _("Won")), (LOST, _("Lost"))]

    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, default=Decimal(0), validators=NOT_NEGATIVE
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="USD")
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    pipeline = models.ForeignKey(
        "pipelines.Pipeline", on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey("pipelines.Stage", on_delete=models.PROTECT, related_name="deals")
    # Order within the stage's column on the board (smaller first).
    position = models.FloatField(default=0)
    status = models.CharField(_("status"), max_length=4, choices=STATUSES, default=OPEN)
    lost_reason = models.ForeignKey(
        "pipelines.LostReason", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lost_note = models.CharField(max_length=500, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    contacts = models.ManyToManyField(
        "contacts.Contact", through="DealContact", related_name="deals", blank=True
    )
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    custom = models.JSONField(default=dict, blank=True)
    source = models.CharField(_("lead source"), max_length=80, blank=True)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    stage_entered_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Kept up to date by the activities (tasks) of the deal: the board shows them.
    next_activity_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    event_subject_type = "deal"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "stage", "position"], name="deal_board"),
            models.Index(fields=["tenant", "pipeline", "status"], name="deal_pipeline"),
            models.Index(fields=["tenant", "owner", "status"], name="deal_owner"),
            models.Index(fields=["tenant", "company"], name="deal_company"),
            models.Index(fields=["tenant", "-created_at"], name="deal_created"),
            # The API lists pages by id (cursor pagination).
            models.Index(fields=["tenant", "id"], name="deal_tenant_id"),
            GinIndex(fields=["tenant", "tags"], name="deal_tags"),
        ]
        verbose_name = _("deal")

    def __str__(self):
        return self.title

    @property
    def company_shown(self):
        """The company, unless the reader may not see it (`deals_for` annotates
        `company_hidden`): then None, and pages say a company is there, not which."""
        return None if getattr(self, "company_hidden", False) else self.company

    @property
    def is_rotting(self) -> bool:
        """Open and idle in its stage longer than the stage allows (needs `stage` loaded;
        lists filter with deals.selectors.rotting_q)."""
        days = self.stage.rotting_days if self.stage_id else None
        if self.status != self.OPEN or not days:
            return False
        return self.stage_entered_at < timezone.now() - timedelta(days=days)


class DealContact(TenantModel):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_contacts")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="deal_links"
    )
    role = models.CharField(_("role in the deal"), max_length=80, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "deal", "contact"], name="dealcontact_unique"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "contact"], name="dealcontact_contact")]


class LineItem(TenantModel):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="line_items")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    price = models.DecimalField(
        _("price"), max_digits=14, decimal_places=2, validators=NOT_NEGATIVE
    )
    discount = models.DecimalField(
        _("discount, %"), max_digits=5, decimal_places=2, default=Decimal(0), validators=PERCENT
    )
    tax_rate = models.DecimalField(
        _("tax, %"), max_digits=5, decimal_places=2, default=Decimal(0), validators=PERCENT
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "deal"], name="lineitem_deal")]

    @property
    def total(self) -> Decimal:
        net = self.quantity * self.price * (1 - self.discount / 100)
        return (net * (1 + self.tax_rate / 100)).quantize(Decimal("0.01"))


class StageHistory(TenantModel):
    """A deal's stay in a stage: entered, left (null while it is there), who moved it.

    The stage's name is kept, so the history outlives a stage an admin deletes."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_history")
    stage = models.ForeignKey(
        "pipelines.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage_name = models.CharField(max_length=80, blank=True)
    entered_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["entered_at", "id"]
        indexes = [
            models.Index(fields=["tenant", "deal", "entered_at"], name="stagehistory_deal"),
            models.Index(fields=["tenant", "stage", "entered_at"], name="stagehistory_stage"),
        ]


def attachment_path(instance, filename: str) -> str:
    """deals/<tenant>/<random>/<name>: per workspace, and not guessable from another file's."""
    return f"deals/{instance.tenant_id}/{uuid.uuid4().hex}/{PurePath(filename).name}"


class Attachment(TenantModel):
    """A file on a deal's card, kept through Django's storage (local by default)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["tenant", "deal"], name="attachment_deal")]

    def __str__(self):
        return self.name


class IdleMark(TenantModel):
    """A deal found idle in its stage for `days` days since it entered it (`deal.idle`):
    the row is what makes that event happen once per (deal, stage entry, days). Entering
    a stage again is a new entry, so the event can happen again."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="+")
    stage_entered_at = models.DateTimeField()
    days = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "deal", "stage_entered_at", "days"], name="deal_idle_once"
            )
        ]
