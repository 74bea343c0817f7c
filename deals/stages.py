"""Deals as the occupants of funnel stages (registered with `pipelines.occupants`): what
happens to them when an admin deletes a stage, changes its kind or deletes a funnel."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.accounts.models import Membership

from . import services
from .models import Deal


class DealsInStages:
    def count_in_pipeline(self, pipeline) -> int:
        return Deal.objects.filter(pipeline=pipeline).count()

    def count_expression(self, **match):
        """A correlated count of deals, e.g. `count_expression(stage="pk")` annotating
        stages (no join that multiplies rows)."""
        counted = (
            Deal.objects.filter(**{k: OuterRef(v) for k, v in match.items()})
            .order_by()
            .values(next(iter(match)))
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    def locked_in_stage(self, stage) -> list[Deal]:
        return list(
            Deal.objects.select_for_update(of=("self",))
            .select_related("stage", "pipeline")
            .filter(stage=stage)
            .order_by("position", "id")
        )

    def move_off(self, actor: Membership, records: list[Deal], stage) -> None:
        services.deals_move_in_bulk(actor=actor, deals=records, stage=stage)

    def kind_changed(self, actor: Membership, stage) -> None:
        """Each deal takes the stage's kind as its status, with the event a win, a loss or
        a reopening has (the timeline, reports and automation see it)."""
        now = timezone.now()
        deals = (
            Deal.objects.select_for_update(of=("self",))
            .select_related("stage", "pipeline")
            .filter(stage=stage)
            .exclude(status=stage.kind)
            .order_by("id")
        )
        for deal in deals:
            old_status = deal.status
            deal.status = stage.kind
            if stage.kind == Deal.OPEN:
                deal.closed_at, deal.lost_reason, deal.lost_note = None, None, ""
            else:
                deal.closed_at = now
            deal.save(update_fields=["status", "closed_at", "lost_reason", "lost_note",
                                     "updated_at"])  # fmt: skip
            services.status_event(actor, deal, old_status, stage_kind_changed=True)
