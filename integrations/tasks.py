"""Celery tasks of the inbox, on the "ingest" queue (CELERY_TASK_ROUTES)."""

import functools

import redis
from celery import shared_task
from django.conf import settings

from crm.tenancy.tasks import for_each_tenant, tenant_task

from . import ingest

# A channel's waiting deliveries are ingested by one task per wake-up, not one task each:
# publishing a Celery task took more CPU (~0.9 ms) than the rest of the webhook's own work.
# The webhook sets the channel's signal (Redis SET NX) and publishes a task only when it was
# not set; the task clears the signal before it reads what waits, so a delivery stored after
# that read sets the signal again and wakes another run. Nothing waits unseen: whoever finds
# the signal set stored their delivery before a run still to come reads the queue. The TTL
# only bounds how long a lost task (a Redis blink) keeps the channel asleep.
WAKE_TTL = 60
WAKE_BATCH = 100  # per run; more waiting goes to the back of the queue (other workspaces')


def signal(channel_id: int) -> str:
    return f"ingest-wake:{channel_id}"


@functools.cache
def signals() -> redis.Redis:
    """The signals' Redis (the cache's), one client per process: thread-safe over its pool,
    where the cache API builds a client per call (a third of the webhook's CPU)."""
    return redis.Redis.from_url(settings.REDIS_URL)


def wake(tenant_id: int, channel_id: int) -> None:
    """Have the channel's waiting deliveries ingested (after the delivery's commit)."""
    if signals().set(signal(channel_id), 1, nx=True, ex=WAKE_TTL):
        ingest_pending.delay(tenant_id, channel_id)


@tenant_task(name="integrations.ingest_pending")
def ingest_pending(tenant_id: int, channel_id: int):
    signals().delete(signal(channel_id))  # first: see the note on WAKE_TTL
    if ingest.process_waiting(channel_id, WAKE_BATCH):
        wake(tenant_id, channel_id)


@shared_task(name="integrations.wake_stalled")
def wake_stalled() -> int:
    """Beat, every minute: a channel whose deliveries have waited longer than a signal lives
    (its wake-up task lost with a worker or a Redis restart) is woken again, so a stored
    delivery is always ingested, at worst a couple of minutes late."""

    def sweep(tenant_id: int) -> int:
        channels = ingest.stalled_channels(older_than=WAKE_TTL)
        for channel_id in channels:
            wake(tenant_id, channel_id)
        return len(channels)

    return for_each_tenant(sweep)


@tenant_task(name="integrations.ingest_delivery")
def ingest_delivery(tenant_id: int, delivery_id: int):
    """One delivery (a failed one retried; the webhooks wake ingest_pending instead)."""
    ingest.process(delivery_id)


@shared_task(name="integrations.wake_snoozed")
def wake_snoozed() -> int:
    """Beat, every minute: snoozed conversations whose time has come open again, tenant by
    tenant (row-level security stays on)."""
    return for_each_tenant(lambda _tenant: ingest.wake_snoozed())


@shared_task(name="integrations.poll_mail")
def poll_mail() -> int:
    """Beat, every minute: each workspace's email channels fetch their new mail, one
    channel at a time (a folder's state row, locked, keeps two polls from overlapping)."""
    from . import mailpoll

    return for_each_tenant(lambda _tenant: mailpoll.poll_all())


@tenant_task(name="integrations.send_autoreply")
def send_autoreply(tenant_id: int, conversation_id: int, text: str, reason: str):
    """An automatic answer, sent through the conversation's channel (the "mail" queue: a
    slow mail server never holds up ingestion)."""
    from . import autoreply

    autoreply.send(conversation_id, text, reason)


@tenant_task(name="integrations.send_rule_message")
def send_rule_message(tenant_id: int, conversation_id: int, text: str, key: str):
    """An automation rule's message to the client, sent once per (run, step) `key`."""
    from . import automations

    automations.send_once(tenant_id, conversation_id, text, key)


@tenant_task(name="integrations.send_rule_email")
def send_rule_email(tenant_id: int, channel_id: int, contact_id: int, address: str,
                    subject: str, text: str, key: str):  # fmt: skip
    """An automation rule's email to the client, sent once per (run, step) `key`."""
    from . import automations

    automations.send_email_once(tenant_id, channel_id, contact_id, address, subject, text, key)
