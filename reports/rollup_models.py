"""Rollup tables: the dashboards' figures per day, tenant, owner, funnel (and stage, lost
reason, source, activity kind). Derived data only: `reports.rollups` keeps them current from
the event spine and rebuilds them from the source tables.

Owners, funnels, stages and reasons are kept as plain ids, not foreign keys: a rollup row
outlives nothing and blocks no delete; a deleted funnel's rows just stop being shown. A day
is a calendar day in the workspace's time zone."""

from django.db import models

from crm.tenancy.models import TenantModel


class DealDay(TenantModel):
    """Deals created on the day (by their creation day) and closed on the day (by their
    close day), per owner, funnel and currency (amounts are never summed across
    currencies)."""

    day = models.DateField()
    owner_id = models.BigIntegerField(null=True)
    pipeline_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    created = models.PositiveIntegerField(default=0)
    created_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    won = models.PositiveIntegerField(default=0)
    won_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    won_cycle_days = models.FloatField(default=0)  # sum over won deals of created -> won
    lost = models.PositiveIntegerField(default=0)
    lost_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "owner_id", "pipeline_id", "currency"],
                name="dealday_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["tenant", "owner_id", "day"], name="dealday_owner")]


class StageDay(TenantModel):
    """Deals created on the day that reached the stage (an open stage at or before the
    furthest one they entered, or the won stage once won): the funnel's conversion."""

    day = models.DateField()
    owner_id = models.BigIntegerField(null=True)
    pipeline_id = models.BigIntegerField()
    stage_id = models.BigIntegerField()
    reached = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "owner_id", "pipeline_id", "stage_id"],
                name="stageday_key",
                nulls_distinct=False,
            )
        ]


class LostReasonDay(TenantModel):
    """Deals lost on the day, per reason (none when no reason was given)."""

    day = models.DateField()
    owner_id = models.BigIntegerField(null=True)
    pipeline_id = models.BigIntegerField()
    reason_id = models.BigIntegerField(null=True)
    lost = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "owner_id", "pipeline_id", "reason_id"],
                name="lostreasonday_key",
                nulls_distinct=False,
            )
        ]


class SourceDay(TenantModel):
    """Deals created / won on the day per lead source (the deal's source, else its UTM
    source, else none)."""

    day = models.DateField()
    owner_id = models.BigIntegerField(null=True)
    pipeline_id = models.BigIntegerField()
    source = models.CharField(max_length=200, blank=True)
    created = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "owner_id", "pipeline_id", "source"],
                name="sourceday_key",
                nulls_distinct=False,
            )
        ]


class ActivityDay(TenantModel):
    """Work done on the day per person: tasks completed by kind (call, meeting, task) and
    phone calls handled in the inbox ("phone")."""

    PHONE = "phone"

    day = models.DateField()
    user_id = models.BigIntegerField(null=True)
    kind = models.CharField(max_length=10)
    done = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "user_id", "kind"],
                name="activityday_key",
                nulls_distinct=False,
            )
        ]


class RollupSource(TenantModel):
    """What one record (a deal, task or call) last counted towards: its person and days.
    When the record changes, the rows of its old keys and its new keys are recomputed, so a
    deal handed to a colleague or reopened leaves nothing behind in the old rows."""

    DEAL, TASK, CALL = "deal", "task", "call"

    kind = models.CharField(max_length=5)
    object_id = models.BigIntegerField()
    user_id = models.BigIntegerField(default=0)  # 0: nobody (so the indexes below serve it)
    day_a = models.DateField(null=True)  # deal: created; task: done; call: made
    day_b = models.DateField(null=True)  # deal: closed

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "object_id"], name="rollupsource_key")
        ]
        # A refresh finds the records that count towards a (person, day) through these.
        indexes = [
            models.Index(fields=["tenant", "kind", "user_id", "day_a"], name="rollupsource_a"),
            models.Index(fields=["tenant", "kind", "user_id", "day_b"], name="rollupsource_b"),
        ]
