"""Deals idle in their stage: `deal.idle`, once per (deal, stage entry, days).

Nothing changes when a deal sits in a stage, so no event says so: beat's trigger sweep
(automation.sweep_triggers) calls `sweep` with the parameters of the workspace's active
"idle for N days" rules, and for each it finds, in one query, the open deals of the rule's
stage (or funnel) that entered it at least N days ago and have no mark for that entry and
N. Each gets a mark (`IdleMark`, unique per deal, entry and days) and a `deal.idle` event
in the same transaction, so a second sweep finds nothing, and a deal moved back into the
stage later (a new entry) is found again."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from crm.activity.events import emit_each

from .models import Deal, IdleMark

BATCH = 500  # deals marked per transaction; the rest wait for the next sweep


def _due(params, now) -> list[Deal]:
    deals = Deal.objects.filter(
        status=Deal.OPEN, stage_entered_at__lte=now - timedelta(days=params.days)
    )
    if params.stage is not None:
        deals = deals.filter(stage_id=params.stage)
    elif params.pipeline is not None:
        deals = deals.filter(pipeline_id=params.pipeline)
    marked = IdleMark.objects.filter(
        deal=OuterRef("pk"), stage_entered_at=OuterRef("stage_entered_at"), days=params.days
    )
    return list(
        deals.filter(~Exists(marked))
        .only("id", "title", "pipeline_id", "stage_id", "stage_entered_at")
        .order_by("id")[:BATCH]
    )


def sweep(params_list: list) -> int:
    """Mark and announce the deals idle for each distinct (stage, funnel, days) asked."""
    total, now = 0, timezone.now()
    wanted = {(p.stage, p.pipeline, p.days): p for p in params_list}
    for params in wanted.values():
        try:
            total += _mark(params, now)
        except IntegrityError:
            # A sweep beside this one (beat's lease expired) marked some of these first:
            # this batch is undone, and the next sweep takes what is left.
            continue
    return total


@transaction.atomic
def _mark(params, now) -> int:
    found = _due(params, now)
    if not found:
        return 0
    IdleMark.objects.bulk_create(
        [IdleMark(deal=d, stage_entered_at=d.stage_entered_at, days=params.days) for d in found]
    )
    emit_each("deal.idle", actor=None, items=[
        (deal, {"pipeline_id": deal.pipeline_id, "stage_id": deal.stage_id,
                "stage_entered_at": deal.stage_entered_at.isoformat(), "days": params.days}, [])
        for deal in found
    ])  # fmt: skip
    return len(found)
