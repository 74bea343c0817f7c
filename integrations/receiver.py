"""The webhook's side of a delivery: store it once, answer at once, queue its ingestion.

The adapter has verified the sender before this runs. The raw payload is stored once per
delivery id (a unique constraint: a re-sent webhook finds its row) and, after the commit,
the channel's ingestion is woken on the "ingest" queue (tasks.wake: one task per wake-up,
not per delivery).
"""

from __future__ import annotations

import functools
import hashlib

from django.db import connection, transaction

from crm import after_commit
from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import CURRENT_TENANT

from . import channels
from .models import Channel, RawDelivery
from .tasks import ingest_delivery, wake


def channel_of(kind: str, token: str) -> Channel | None:
    """The channel a webhook's URL names, in the current workspace (row-level security
    applies as to any query), or None. One statement written once per process: the ORM
    took ~2 ms of CPU per webhook to compile the same query every time. No cache of the
    row: a channel deleted, or its secret replaced, counts from the next webhook on."""
    sql, fields, converters = _channel_query()
    require_tenant_id()
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, token])
        row = cursor.fetchone()
    if row is None:
        return None
    values = [
        convert(value) if convert else value for value, convert in zip(row, converters, strict=True)
    ]
    return Channel.from_db(connection.alias, fields, values)


@functools.cache
def _channel_query() -> tuple[str, list[str], list]:
    """(SQL, attribute names, per column the field's conversion from the database or None):
    every concrete field, so the channel is whole (adapters read its settings, secrets)."""
    fields = Channel._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(Channel._meta.db_table)
    sql = (  # names from the model, values bound; the tenant as the ORM's (CurrentTenant)
        f"SELECT {columns} FROM {table} "  # noqa: S608
        f"WHERE tenant_id = {CURRENT_TENANT} AND kind = %s AND webhook_token = %s"
    )
    converters = [
        functools.partial(f.from_db_value, expression=None, connection=connection)
        if hasattr(f, "from_db_value")
        else None
        for f in fields
    ]
    return sql, [f.attname for f in fields], converters


def without_nul(value):
    """The payload with NUL characters taken out of every string: PostgreSQL stores none
    (in text or in jsonb), and one in a message must not turn the delivery into a 500."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value


def receive(channel: Channel, payload) -> RawDelivery:
    """Store a verified delivery and wake its channel's ingestion (after the commit: at
    once in the webhook, which runs in autocommit; at the end of a caller's transaction)."""
    delivery, queue = store(channel, payload)
    if queue:
        tenant_id, channel_id = delivery.tenant_id, delivery.channel_id
        after_commit.send(lambda: wake(tenant_id, channel_id), "a delivery's ingestion")
    return delivery


def store(channel: Channel, payload) -> tuple[RawDelivery, bool]:
    """The delivery stored once per delivery id, and whether it is to be ingested: a new
    one, or a re-sent one still waiting (its first task may have been lost); not one
    already processed or failed (failed ones are retried by `retry_failed`)."""
    payload = without_nul(payload)
    external_id = channels.get(channel.kind).delivery_id(payload)
    if external_id is None:
        return _unreadable(channel, payload), False
    delivery = RawDelivery(channel=channel, external_id=external_id, payload=payload)
    if _insert_once(delivery):
        return delivery, True
    delivery = RawDelivery.objects.get(channel=channel, external_id=external_id)
    return delivery, delivery.status == RawDelivery.RECEIVED


def _insert_once(delivery: RawDelivery) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING: one statement for a new delivery (the webhook's
    hot path; get_or_create took a SELECT, a savepoint, the INSERT and a transaction, six
    round trips, which set the webhook's latency under load), and whether it was new (its
    pk is then set). The columns are the model's, so a field added later is written too."""
    delivery.tenant_id = delivery.tenant_id or require_tenant_id()
    meta = RawDelivery._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(delivery, True), connection) for f in fields]
    sql = (  # names from the model, values bound
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        "ON CONFLICT ON CONSTRAINT delivery_external_id DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    delivery.pk = row[0]
    delivery._state.adding, delivery._state.db = False, connection.alias
    return True


def _unreadable(channel: Channel, payload) -> RawDelivery:
    """A verified delivery without an id: kept as failed, under a hash of its body (so a
    re-sent one is kept once), for the channel's page to show. Never dropped unseen."""
    body = payload if isinstance(payload, dict) else {"body": str(payload)[:100_000]}
    digest = hashlib.sha256(repr(sorted(body.items())).encode()).hexdigest()[:40]
    delivery, _created = RawDelivery.objects.get_or_create(
        channel=channel,
        external_id=f"unreadable:{digest}",
        defaults={
            "payload": body,
            "status": RawDelivery.FAILED,
            "error": "The delivery has no id of a shape this channel knows.",
        },
    )
    return delivery


def retry_failed(channel: Channel) -> int:
    with transaction.atomic():
        ids = list(
            RawDelivery.objects.select_for_update()
            .filter(channel=channel, status=RawDelivery.FAILED)
            .values_list("pk", flat=True)
        )
        RawDelivery.objects.filter(pk__in=ids).update(status=RawDelivery.RECEIVED, error="")
        tenant_id = channel.tenant_id
        for delivery_id in ids:
            after_commit.send(
                lambda delivery_id=delivery_id: ingest_delivery.delay(tenant_id, delivery_id),
                "a delivery's ingestion",
            )
    return len(ids)
