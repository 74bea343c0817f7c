"""The webhook's short way through (crm/web/lean.py) and its channel's wake-up
(integrations/tasks.py): no browser middleware, the channel read afresh on every webhook (a
replaced secret or a deleted channel counts at once), and deliveries ingested by one run
per wake-up, none left behind."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.tenancy.context import tenant_scope
from integrations import services, tasks
from integrations.models import Channel, Message, RawDelivery

from .stand_in import update
from .test_telegram import deliver, hook

pytestmark = pytest.mark.django_db


def statuses(channel) -> list[str]:
    with tenant_scope(channel.tenant_id):
        return list(RawDelivery.objects.order_by("pk").values_list("status", flat=True))


def test_a_webhook_is_served_without_the_browser_middleware(client, channel):
    response = deliver(client, channel, update(1))
    assert response.status_code == 200
    # No session, no CSRF cookie, no language negotiation: nothing for a browser.
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert "Content-Language" not in response
    # A NUL in the path is refused before the view, as on every other page.
    assert client.post(hook(channel)[:-1] + "%00/", {}).status_code == 400
    # Under the same prefix, a path that is no webhook gets the usual 404 page.
    missing = client.get("/integrations/nothing-here/")
    assert missing.status_code == 404 and b"<html" in missing.content.lower()


def test_a_replaced_secret_and_a_deleted_channel_count_from_the_next_webhook(
    client, workspace, channel, telegram
):
    tenant, owner = workspace
    with tenant_scope(tenant):
        old_secret = channel.secrets["secret_token"]
    assert deliver(client, channel, update(1), secret=old_secret).status_code == 200
    with tenant_scope(tenant, owner.user):
        new_token = {"bot_token": "987654321:ZZnewTOKENnewTOKEN"}
        services.channel_update(actor=owner, channel=channel, raw_settings=new_token)
        new_secret = channel.secrets["secret_token"]
    assert new_secret != old_secret
    assert deliver(client, channel, update(2), secret=old_secret).status_code == 403
    assert deliver(client, channel, update(3), secret=new_secret).status_code == 200
    with tenant_scope(tenant):
        Channel.objects.filter(pk=channel.pk).delete()
    assert deliver(client, channel, update(4), secret=new_secret).status_code == 404


def test_deliveries_stored_while_a_run_is_pending_are_ingested_by_that_run(
    client, channel, django_capture_on_commit_callbacks
):
    # A run already woken (its task still queued): the webhooks publish no other.
    assert tasks.signals().set(tasks.signal(channel.pk), 1, nx=True, ex=tasks.WAKE_TTL)
    for i in range(1, 4):
        deliver(client, channel, update(i, text=f"Hello {i}"),
                capture=django_capture_on_commit_callbacks)  # fmt: skip
    assert statuses(channel) == ["received"] * 3
    tasks.ingest_pending(channel.tenant_id, channel.pk)  # the queued run
    assert statuses(channel) == ["processed"] * 3
    with tenant_scope(channel.tenant_id):
        assert Message.objects.count() == 3
    # The run cleared the signal: the next delivery wakes a run of its own.
    deliver(client, channel, update(4), capture=django_capture_on_commit_callbacks)
    assert statuses(channel) == ["processed"] * 4


def test_a_long_queue_is_ingested_in_batches_to_the_end(
    client, channel, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(tasks, "WAKE_BATCH", 2)
    assert tasks.signals().set(tasks.signal(channel.pk), 1, nx=True, ex=tasks.WAKE_TTL)
    for i in range(1, 6):
        deliver(client, channel, update(i), capture=django_capture_on_commit_callbacks)
    # Each run wakes the next (eager here, queued behind other work in production).
    tasks.ingest_pending(channel.tenant_id, channel.pk)
    assert statuses(channel) == ["processed"] * 5


def test_a_lost_wake_up_is_made_good_by_the_beat_sweep(
    client, channel, django_capture_on_commit_callbacks
):
    # The wake-up's task was lost (a worker killed, Redis restarted) while its signal lived.
    assert tasks.signals().set(tasks.signal(channel.pk), 1, nx=True, ex=tasks.WAKE_TTL)
    deliver(client, channel, update(1), capture=django_capture_on_commit_callbacks)
    tasks.signals().delete(tasks.signal(channel.pk))  # the signal has expired since
    # Still young: the sweep leaves it to the run that may yet come.
    assert tasks.wake_stalled() == 0
    assert statuses(channel) == ["received"]
    with tenant_scope(channel.tenant_id):
        RawDelivery.objects.update(
            received_at=timezone.now() - timedelta(seconds=tasks.WAKE_TTL + 5)
        )
    assert tasks.wake_stalled() == 1
    assert statuses(channel) == ["processed"]
