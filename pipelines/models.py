"""Sales funnels: pipelines with ordered stages, and the reasons deals are lost."""

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class Pipeline(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(default=0)
    is_archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="pipeline_unique_name"),
        ]
        verbose_name = _("pipeline")

    def __str__(self):
        return self.name


class Stage(TenantModel):
    OPEN, WON, LOST = "open", "won", "lost"
    KINDS = [(OPEN, _("Open")), (WON, _("Won")), (LOST, _("Lost"))]
    COLORS = ["#748ffc", "#4dabf7", "#3bc9db", "#38d9a9", "#69db7c", "#ffd43b", "#ffa94d",
              "#ff8787", "#f783ac", "#da77f2", "#adb5bd"]  # fmt: skip

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveIntegerField(default=0)
    color = models.CharField(
        _("colour"), max_length=7, choices=[(c, c) for c in COLORS], default="#748ffc"
    )
    probability = models.PositiveSmallIntegerField(
        _("win probability, %"), default=10, validators=[MaxValueValidator(100)]
    )
    kind = models.CharField(_("kind"), max_length=5, choices=KINDS, default=OPEN)
    rotting_days = models.PositiveIntegerField(
        _("rotting after, days"),
        null=True,
        blank=True,
        help_text=_("A deal idle in this stage longer than this is flagged."),
    )

    class Meta:
        ordering = ["pipeline_id", "position", "id"]
        indexes = [models.Index(fields=["tenant", "pipeline", "position"], name="stage_order")]
        constraints = [
            models.UniqueConstraint(
                "tenant", "pipeline", Lower("name"), name="stage_unique_name_in_pipeline"
            ),
        ]
        verbose_name = _("stage")

    def __str__(self):
        return self.name

    @property
    def color_class(self) -> str:
        """A CSS class per palette colour (`stage-c0` ...): pages may not use inline styles."""
        try:
            return f"stage-c{self.COLORS.index(self.color)}"
        except ValueError:
            return "stage-c0"

    @property
    def is_closed(self) -> bool:
        return self.kind != self.OPEN


class LostReason(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="lostreason_unique_name"),
        ]
        verbose_name = _("lost reason")

    def __str__(self):
        return self.name
