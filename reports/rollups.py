# ruff: noqa: S608 (the SQL names only model tables and columns; every value is a parameter)
"""Keeping the rollup tables (rollup_models.py) current, and rebuilding them.

The rule is **recompute, never increment**: when a deal, a task or a call changes, the rollup
rows it counted towards before (kept in `RollupSource`) and the rows it counts towards now are
deleted and aggregated again from the source tables, in SQL, for just those (day, person)
keys. So a redelivered event, events handled out of order, or an event for a record already
deleted all leave the same rows as a full rebuild: counting once is a property of the data,
not of the delivery. `rebuild(tenant)` is the same SQL without the key filter.

Concurrency: every refresh takes a transaction-level advisory lock per (tenant, key), in a
fixed order, and a shared lock on the tenant; a rebuild takes the tenant's lock exclusively.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from django.db import connection, transaction

from crm import objects
from crm.activity.models import Task
from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import Tenant
from deals.models import Deal, StageHistory
from pipelines.models import Stage

from .rollup_models import (
    ActivityDay,
    DealDay,
    LostReasonDay,
    RollupSource,
    SourceDay,
    StageDay,
)

DEAL_TABLES = (DealDay, StageDay, LostReasonDay, SourceDay)
ACTIVITY_TABLES = (ActivityDay,)
Key = tuple[dt.date, int]  # (day, person id or 0 for none)

# The key filter: keys arrive as arrays (days, people, the day's start and end instants).
KEYS_CTE = """k AS (
    SELECT * FROM unnest(%(days)s::date[], %(people)s::bigint[], %(starts)s::timestamptz[],
                         %(stops)s::timestamptz[]) AS k(day, person, start, stop)
)"""


def _candidates(kind: str) -> str:
    """The records that may count towards the keys, found through `RollupSource` (indexed by
    person and day) rather than by scanning the source table; the exact filter on their
    current state follows. A record whose remembered keys are stale has an event on its way,
    and that event's refresh recomputes its keys."""
    table = RollupSource._meta.db_table
    return f"""c_{kind} AS (
        SELECT s.object_id AS id FROM {table} s JOIN k ON s.user_id = k.person AND s.day_a = k.day
        WHERE s.tenant_id = %(tenant)s AND s.kind = '{kind}'
        UNION
        SELECT s.object_id FROM {table} s JOIN k ON s.user_id = k.person AND s.day_b = k.day
        WHERE s.tenant_id = %(tenant)s AND s.kind = '{kind}'
    )"""


def _keyed(kind: str, alias: str, person: str, moment: str) -> str:
    return (
        f"{alias}.id IN (SELECT id FROM c_{kind}) AND EXISTS (SELECT 1 FROM k"
        f" WHERE k.person = COALESCE({person}, 0) AND {moment} >= k.start AND {moment} < k.stop)"
    )


def _tables() -> dict[str, str]:
    names = {
        "deal": Deal._meta.db_table,
        "history": StageHistory._meta.db_table,
        "stage": Stage._meta.db_table,
        "task": Task._meta.db_table,
        **{m.__name__.lower(): m._meta.db_table for m in (*DEAL_TABLES, *ACTIVITY_TABLES)},
    }
    # Calls live in the inbox, an app beside this one: reached through the object-type
    # registry (its "conversation" type), never imported. No inbox, no calls counted.
    conversation = objects.get("conversation")
    if conversation is not None and conversation.model is not None:
        names["conversation"] = conversation.model._meta.db_table
        names["message"] = conversation.model._meta.get_field(
            "messages"
        ).related_model._meta.db_table
    return names


def _deal_statements(keyed: bool) -> list[str]:
    t = _tables()
    created = _keyed("deal", "d", "d.owner_id", "d.created_at") if keyed else "TRUE"
    closed = _keyed("deal", "d", "d.owner_id", "d.closed_at") if keyed else "TRUE"
    day = "(d.{} AT TIME ZONE %(tz)s)::date"
    ctes = f"{KEYS_CTE}, {_candidates('deal')}"
    # The furthest open stage each deal entered: for a few deals (a refresh), one indexed
    # look-up in its history each; for all of them (a rebuild), one grouped join.
    if keyed:
        top = f""",
                   (SELECT max(s.position) FROM {t["history"]} h
                    JOIN {t["stage"]} s ON s.tenant_id = %(tenant)s AND s.id = h.stage_id
                    WHERE h.tenant_id = %(tenant)s AND h.deal_id = d.id
                      AND s.pipeline_id = d.pipeline_id AND s.kind = 'open') AS top"""
        reach, join_reach, top_column = "", "", "d.top"
    else:
        top = ""
        reach = f""", r AS (
            SELECT d.id, max(s.position) FILTER (WHERE s.kind = 'open') AS top
            FROM d
            JOIN {t["history"]} h ON h.tenant_id = %(tenant)s AND h.deal_id = d.id
            JOIN {t["stage"]} s ON s.tenant_id = %(tenant)s AND s.id = h.stage_id
                                AND s.pipeline_id = d.pipeline_id
            GROUP BY d.id
        )"""
        join_reach, top_column = " LEFT JOIN r ON r.id = d.id", "r.top"
    prefix = f"WITH {ctes}, " if keyed else "WITH "
    return [
        prefix
        + f"""facts AS (
            SELECT {day.format("created_at")} AS day, d.owner_id, d.pipeline_id, d.currency,
                   1 AS created, d.amount AS created_amount, 0 AS won, 0::numeric AS won_amount,
                   0::float AS cycle, 0 AS lost, 0::numeric AS lost_amount
            FROM {t["deal"]} d WHERE d.tenant_id = %(tenant)s AND {created}
            UNION ALL
            SELECT {day.format("closed_at")}, d.owner_id, d.pipeline_id, d.currency, 0, 0,
                   (d.status = 'won')::int,
                   CASE WHEN d.status = 'won' THEN d.amount ELSE 0 END,
                   CASE WHEN d.status = 'won'
                        THEN GREATEST(EXTRACT(EPOCH FROM d.closed_at - d.created_at), 0) / 86400.0
                        ELSE 0 END,
                   (d.status = 'lost')::int,
                   CASE WHEN d.status = 'lost' THEN d.amount ELSE 0 END
            FROM {t["deal"]} d
            WHERE d.tenant_id = %(tenant)s AND d.status IN ('won', 'lost')
              AND d.closed_at IS NOT NULL AND {closed}
        )
        INSERT INTO {t["dealday"]} (tenant_id, day, owner_id, pipeline_id, currency, created,
            created_amount, won, won_amount, won_cycle_days, lost, lost_amount)
        SELECT %(tenant)s, day, owner_id, pipeline_id, currency, sum(created),
               sum(created_amount), sum(won), sum(won_amount), sum(cycle), sum(lost),
               sum(lost_amount)
        FROM facts GROUP BY day, owner_id, pipeline_id, currency""",
        # The funnel: a deal reached every open stage up to the furthest it entered (a jump
        # over a stage still passed it), and all of them plus the won stage once won.
        prefix
        + f"""d AS (
            SELECT d.id, {day.format("created_at")} AS day, d.owner_id, d.pipeline_id,
                   d.status = 'won' AS won{top}
            FROM {t["deal"]} d WHERE d.tenant_id = %(tenant)s AND {created}
        ){reach}
        INSERT INTO {t["stageday"]} (tenant_id, day, owner_id, pipeline_id, stage_id, reached)
        SELECT %(tenant)s, d.day, d.owner_id, d.pipeline_id, s.id, count(*)
        FROM d{join_reach}
        JOIN {t["stage"]} s ON s.tenant_id = %(tenant)s AND s.pipeline_id = d.pipeline_id
             AND ((s.kind = 'open' AND (d.won OR s.position <= {top_column}))
                  OR (s.kind = 'won' AND d.won))
        GROUP BY d.day, d.owner_id, d.pipeline_id, s.id""",
        (f"WITH {ctes} " if keyed else "")
        + f"""INSERT INTO {t["lostreasonday"]} (tenant_id, day, owner_id, pipeline_id,
            reason_id, lost)
        SELECT %(tenant)s, {day.format("closed_at")}, d.owner_id, d.pipeline_id,
               d.lost_reason_id, count(*)
        FROM {t["deal"]} d
        WHERE d.tenant_id = %(tenant)s AND d.status = 'lost' AND d.closed_at IS NOT NULL
          AND {closed}
        GROUP BY 2, 3, 4, 5""",
        prefix
        + f"""facts AS (
            SELECT {day.format("created_at")} AS day, d.owner_id, d.pipeline_id,
                   COALESCE(NULLIF(d.source, ''), NULLIF(d.utm_source, ''), '') AS source,
                   1 AS created, 0 AS won
            FROM {t["deal"]} d WHERE d.tenant_id = %(tenant)s AND {created}
            UNION ALL
            SELECT {day.format("closed_at")}, d.owner_id, d.pipeline_id,
                   COALESCE(NULLIF(d.source, ''), NULLIF(d.utm_source, ''), ''), 0, 1
            FROM {t["deal"]} d
            WHERE d.tenant_id = %(tenant)s AND d.status = 'won' AND d.closed_at IS NOT NULL
              AND {closed}
        )
        INSERT INTO {t["sourceday"]} (tenant_id, day, owner_id, pipeline_id, source, created,
            won)
        SELECT %(tenant)s, day, owner_id, pipeline_id, left(source, 200), sum(created), sum(won)
        FROM facts GROUP BY day, owner_id, pipeline_id, left(source, 200)""",
    ]


def _activity_statements(keyed: bool) -> list[str]:
    t = _tables()
    prefix = f"WITH {KEYS_CTE}, {_candidates('task')} " if keyed else ""
    done = _keyed("task", "x", "x.assignee_id", "x.done_at") if keyed else "TRUE"
    statements = [
        prefix
        + f"""INSERT INTO {t["activityday"]} (tenant_id, day, user_id, kind, done)
        SELECT %(tenant)s, (x.done_at AT TIME ZONE %(tz)s)::date, x.assignee_id, x.kind, count(*)
        FROM {t["task"]} x
        WHERE x.tenant_id = %(tenant)s AND x.done_at IS NOT NULL AND {done}
        GROUP BY 2, 3, 4"""
    ]
    if "message" in t:
        person = "COALESCE(m.author_id, c.assignee_id)"
        made = _keyed("call", "m", person, "m.created_at") if keyed else "TRUE"
        prefix = f"WITH {KEYS_CTE}, {_candidates('call')} " if keyed else ""
        statements.append(
            prefix
            + f"""INSERT INTO {t["activityday"]} (tenant_id, day, user_id, kind, done)
            SELECT %(tenant)s, (m.created_at AT TIME ZONE %(tz)s)::date,
                   COALESCE(m.author_id, c.assignee_id), '{ActivityDay.PHONE}', count(*)
            FROM {t["message"]} m
            JOIN {t["conversation"]} c ON c.tenant_id = %(tenant)s AND c.id = m.conversation_id
            WHERE m.tenant_id = %(tenant)s AND m.kind = 'call' AND {made}
            GROUP BY 2, 3"""
        )
    return statements


def _zone(tenant_id: int) -> str:
    return Tenant.objects.values_list("time_zone", flat=True).get(pk=tenant_id) or "UTC"


def _params(tenant_id: int, zone: str, keys: Iterable[Key]) -> dict:
    tz = zoneinfo.ZoneInfo(zone)
    keys = sorted(set(keys))
    starts = [dt.datetime.combine(day, dt.time.min, tzinfo=tz) for day, _p in keys]
    stops = [dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
             for day, _p in keys]  # fmt: skip
    return {
        "tenant": tenant_id,
        "tz": zone,
        "days": [day for day, _p in keys],
        "people": [person for _d, person in keys],
        "starts": starts,
        "stops": stops,
    }


def _lock(cursor, tenant_id: int, family: str, keys: list[Key]) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock_shared(%s::int, 0)", [tenant_id % 2**31])
    names = sorted(f"{tenant_id}:{family}:{day.isoformat()}:{person}" for day, person in keys)
    cursor.execute(
        "SELECT count(pg_advisory_xact_lock(hashtextextended(x, 0)))"
        " FROM (SELECT x FROM unnest(%s::text[]) AS x ORDER BY x) s",
        [names],
    )


def _recompute(tenant_id: int, zone: str, family: str, keys: set[Key]) -> None:
    if not keys:
        return
    tables, statements = (
        (DEAL_TABLES, _deal_statements(True))
        if family == "deal"
        else (ACTIVITY_TABLES, _activity_statements(True))
    )
    params = _params(tenant_id, zone, keys)
    person = "owner_id" if family == "deal" else "user_id"
    with connection.cursor() as cursor:
        _lock(cursor, tenant_id, family, sorted(keys))
        for model in tables:
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE tenant_id = %(tenant)s AND"
                f" (day, COALESCE({person}, 0)) IN"
                " (SELECT * FROM unnest(%(days)s::date[], %(people)s::bigint[]))",
                params,
            )
        for sql in statements:
            cursor.execute(sql, params)


def _local_day(moment: dt.datetime | None, zone: str) -> dt.date | None:
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).date() if moment else None


def _refresh(kind: str, object_id: int, now: tuple | None) -> None:
    """Recompute the rows the record counted towards before and counts towards now
    (`now`: (person, day_a, day_b), None when it counts towards nothing)."""
    tenant_id = require_tenant_id()
    zone = _zone(tenant_id)
    with connection.cursor() as cursor:
        # One refresh of a record at a time: the second reads what the first remembered.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"{tenant_id}:{kind}:{object_id}"],
        )
    before = RollupSource.objects.filter(kind=kind, object_id=object_id).first()
    keys: set[Key] = set()
    for state in (
        (before.user_id, before.day_a, before.day_b) if before else None,
        now,
    ):
        if state:
            keys |= {(day, state[0] or 0) for day in state[1:] if day}
    # Remembered first: the recompute finds the record's rows through what is remembered.
    if now is None:
        if before is not None:
            before.delete()
    else:
        now = (now[0] or 0, now[1], now[2])
        if before is None:
            RollupSource.objects.create(
                kind=kind, object_id=object_id, user_id=now[0], day_a=now[1], day_b=now[2]
            )
        elif (before.user_id, before.day_a, before.day_b) != now:
            before.user_id, before.day_a, before.day_b = now
            before.save(update_fields=["user_id", "day_a", "day_b"])
    _recompute(tenant_id, zone, "deal" if kind == RollupSource.DEAL else "activity", keys)


@transaction.atomic
def refresh_deal(deal_id: int) -> None:
    zone = _zone(require_tenant_id())
    deal = (
        Deal.objects.filter(pk=deal_id)
        .values("owner_id", "created_at", "closed_at", "status")
        .first()
    )
    now = None
    if deal is not None:
        closed = deal["closed_at"] if deal["status"] in (Deal.WON, Deal.LOST) else None
        now = (deal["owner_id"], _local_day(deal["created_at"], zone), _local_day(closed, zone))
    _refresh(RollupSource.DEAL, deal_id, now)


@transaction.atomic
def refresh_task(task_id: int) -> None:
    zone = _zone(require_tenant_id())
    task = Task.objects.filter(pk=task_id).values("assignee_id", "done_at").first()
    now = None
    if task is not None and task["done_at"] is not None:
        now = (task["assignee_id"], _local_day(task["done_at"], zone), None)
    _refresh(RollupSource.TASK, task_id, now)


@transaction.atomic
def refresh_call(message_id: int) -> None:
    conversation = objects.get("conversation")
    if conversation is None or conversation.model is None:
        return
    Message = conversation.model._meta.get_field("messages").related_model
    zone = _zone(require_tenant_id())
    call = (
        Message.objects.filter(pk=message_id, kind="call")
        .values("author_id", "conversation__assignee_id", "created_at")
        .first()
    )
    now = None
    if call is not None:
        person = call["author_id"] or call["conversation__assignee_id"]
        now = (person, _local_day(call["created_at"], zone), None)
    _refresh(RollupSource.CALL, message_id, now)


@transaction.atomic
def rebuild(tenant_id: int | None = None) -> None:
    """Every rollup row of the current tenant again, from the source tables (set-based).
    Also the right thing after the workspace's time zone changes."""
    tenant_id = tenant_id or require_tenant_id()
    zone = _zone(tenant_id)
    t = _tables()
    params = {"tenant": tenant_id, "tz": zone}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s::int, 0)", [tenant_id % 2**31])
        for model in (*DEAL_TABLES, *ACTIVITY_TABLES, RollupSource):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE tenant_id = %(tenant)s", params
            )
        for sql in (*_deal_statements(False), *_activity_statements(False)):
            cursor.execute(sql, params)
        source = RollupSource._meta.db_table
        cursor.execute(
            f"""INSERT INTO {source} (tenant_id, kind, object_id, user_id, day_a, day_b)
            SELECT %(tenant)s, 'deal', d.id, COALESCE(d.owner_id, 0),
                   (d.created_at AT TIME ZONE %(tz)s)::date,
                   CASE WHEN d.status IN ('won', 'lost')
                        THEN (d.closed_at AT TIME ZONE %(tz)s)::date END
            FROM {t["deal"]} d WHERE d.tenant_id = %(tenant)s""",
            params,
        )
        cursor.execute(
            f"""INSERT INTO {source} (tenant_id, kind, object_id, user_id, day_a)
            SELECT %(tenant)s, 'task', x.id, COALESCE(x.assignee_id, 0),
                   (x.done_at AT TIME ZONE %(tz)s)::date
            FROM {t["task"]} x WHERE x.tenant_id = %(tenant)s AND x.done_at IS NOT NULL""",
            params,
        )
        if "message" in t:
            cursor.execute(
                f"""INSERT INTO {source} (tenant_id, kind, object_id, user_id, day_a)
                SELECT %(tenant)s, 'call', m.id, COALESCE(m.author_id, c.assignee_id, 0),
                       (m.created_at AT TIME ZONE %(tz)s)::date
                FROM {t["message"]} m
                JOIN {t["conversation"]} c ON c.tenant_id = %(tenant)s AND c.id = m.conversation_id
                WHERE m.tenant_id = %(tenant)s AND m.kind = 'call'""",
                params,
            )
