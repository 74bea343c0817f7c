"""Outgoing webhooks end to end over real HTTP on loopback: an event becomes a signed post,
failures are retried from the table by the sweep, a 410 or a run of failures switches the
endpoint off."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.utils import timezone
from standardwebhooks import Webhook

from automation.models import WebhookDelivery, WebhookEndpoint
from automation.webhooks import services
from automation.webhooks.tasks import sweep_webhooks
from crm.activity.models import Notification
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from tests.conftest import add_member

from .webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast_retries(settings):
    settings.WEBHOOK_RETRY_DELAYS = [0, 0, 0, 0]


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what commits would run (dispatch, then the delivery task), nested ones included."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _endpoint(admin, url, events=("deal.*",)):
    with tenant_scope(admin.tenant_id, admin.user):
        return services.endpoint_create(actor=admin, url=url, events=list(events))


def _deal(member, on_commit, title="Big deal"):
    with tenant_scope(member.tenant_id, member.user), on_commit():
        return deal_services.deal_create(actor=member, data={"title": title, "amount": 100})


def _deliveries(tenant):
    with tenant_scope(tenant):
        return list(WebhookDelivery.objects.order_by("id"))


def _sweep(on_commit):
    with on_commit():
        return sweep_webhooks()


def test_a_delivery_arrives_signed_and_verifiable(workspace, on_commit):
    tenant, admin = workspace
    with Receiver(200) as receiver:
        _, secret = _endpoint(admin, receiver.url)
        deal = _deal(admin, on_commit)

    [got] = receiver.received
    payload = Webhook(secret).verify(got.body, got.headers)  # raises if the signature is off
    assert payload["type"] == "deal.created"
    assert payload["data"]["subject"] == {"type": "deal", "id": deal.pk, "name": "Big deal"}
    assert payload["data"]["actor"]["id"] == admin.user_id
    assert set(payload) == {"id", "type", "created_at", "data"}
    [row] = _deliveries(tenant)
    assert got.headers["webhook-id"] == row.webhook_id and got.path == "/hooks/crm"
    assert got.headers["Content-Type"] == "application/json"
    assert (row.status, row.attempts, row.response_code) == ("delivered", 1, 200)
    assert row.response_excerpt == "ok" and row.delivered_at is not None
    # Another secret does not verify it.
    with pytest.raises(Exception, match="signature"):
        Webhook(services.signing.new_secret()).verify(got.body, got.headers)


def test_only_the_subscribed_types_are_sent(workspace, on_commit):
    tenant, admin = workspace
    with Receiver(200) as receiver:
        _endpoint(admin, receiver.url, events=["deal.won"])
        _deal(admin, on_commit)
    assert receiver.received == [] and _deliveries(tenant) == []


def test_a_500_is_retried_by_the_sweep_then_succeeds(workspace, on_commit, fast_retries):
    tenant, admin = workspace
    with Receiver(500, 200) as receiver:
        _endpoint(admin, receiver.url)
        _deal(admin, on_commit)
        [row] = _deliveries(tenant)
        assert (row.status, row.attempts, row.response_code) == ("pending", 1, 500)
        assert "500" in row.error and row.next_attempt_at is not None

        assert _sweep(on_commit) == 1

    [row] = _deliveries(tenant)
    assert (row.status, row.attempts, row.response_code, row.error) == ("delivered", 2, 200, "")
    first, second = receiver.received
    # The same message both times: the receiver can tell a retry from a new event.
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == row.webhook_id
    assert first.body == second.body
    with tenant_scope(tenant):
        assert WebhookEndpoint.objects.get().consecutive_failures == 0


def test_a_retry_waits_for_its_time_in_the_table(workspace, on_commit, settings):
    """The schedule is the row's next_attempt_at, not a Celery countdown: before it the sweep
    leaves the row alone, after it the sweep sends it."""
    settings.WEBHOOK_RETRY_DELAYS = [300]
    tenant, admin = workspace
    with Receiver(503, 200) as receiver:
        _endpoint(admin, receiver.url)
        _deal(admin, on_commit)
        [row] = _deliveries(tenant)
        assert row.next_attempt_at > timezone.now() + timedelta(seconds=290)
        assert _sweep(on_commit) == 0 and len(receiver.received) == 1
        with tenant_scope(tenant):
            WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        assert _sweep(on_commit) == 1
    assert len(receiver.received) == 2 and _deliveries(tenant)[0].status == "delivered"


def test_a_lost_task_is_picked_up_by_the_sweep(workspace, on_commit):
    """A delivery recorded whose task never ran (Redis lost it, the worker died): once its
    lease is over the sweep sends it."""
    tenant, admin = workspace
    with Receiver(200) as receiver:
        _endpoint(admin, receiver.url)
        with tenant_scope(tenant, admin.user):
            # No on-commit callbacks run: the dispatch and its delivery task are "lost".
            deal_services.deal_create(actor=admin, data={"title": "Lost", "amount": 1})
            from crm.activity.dispatch import dispatch_pending

            dispatch_pending()
            WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        assert len(receiver.received) == 0
        assert _sweep(on_commit) == 1
    assert len(receiver.received) == 1 and _deliveries(tenant)[0].status == "delivered"


def test_a_duplicate_task_posts_nothing(workspace, on_commit):
    tenant, admin = workspace
    with Receiver(200) as receiver:
        _endpoint(admin, receiver.url)
        _deal(admin, on_commit)
        [row] = _deliveries(tenant)
        from automation.webhooks.tasks import deliver_webhook

        assert deliver_webhook(tenant.pk, row.pk, 0) is False  # Celery delivered it twice
    assert len(receiver.received) == 1


def test_a_connection_refused_is_retried(workspace, on_commit, fast_retries):
    tenant, admin = workspace
    with Receiver(200) as receiver:
        url = receiver.url
    _endpoint(admin, url)  # the receiver is gone: nothing listens there now
    _deal(admin, on_commit)
    [row] = _deliveries(tenant)
    assert row.status == "pending" and row.response_code is None
    assert row.error.startswith("Could not connect")


def test_a_timeout_is_retried(workspace, on_commit, fast_retries, settings):
    settings.WEBHOOK_TIMEOUT = 0.3
    tenant, admin = workspace
    with Receiver(200, delay=1.0) as receiver:
        _endpoint(admin, receiver.url)
        _deal(admin, on_commit)
    [row] = _deliveries(tenant)
    assert row.status == "pending" and "in time" in row.error


def test_a_4xx_fails_without_retries(workspace, on_commit, fast_retries):
    tenant, admin = workspace
    with Receiver(400, body=b"bad payload") as receiver:
        _endpoint(admin, receiver.url)
        _deal(admin, on_commit)
        assert _sweep(on_commit) == 0
    [row] = _deliveries(tenant)
    assert (row.status, row.response_code, row.response_excerpt) == ("failed", 400, "bad payload")
    assert len(receiver.received) == 1


def test_410_gone_switches_the_endpoint_off_and_tells_the_admins(workspace, on_commit):
    tenant, admin = workspace
    other_admin = add_member(tenant, "admin")
    with Receiver(410) as receiver:
        _endpoint(admin, receiver.url)
        _deal(admin, on_commit)
        _deal(admin, on_commit, title="After")  # nothing more goes to it
    assert len(receiver.received) == 1
    with tenant_scope(tenant):
        endpoint = WebhookEndpoint.objects.get()
        assert not endpoint.is_active and endpoint.disabled_reason == "gone"
        assert endpoint.disabled_at is not None
        notes = Notification.objects.filter(kind="webhook_disabled")
        assert {n.recipient_id for n in notes} == {admin.user_id, other_admin.user_id}
        assert "410" in notes[0].title
    [row] = _deliveries(tenant)
    assert (row.status, row.response_code) == ("failed", 410)


def test_repeated_failures_switch_the_endpoint_off(workspace, on_commit, settings, fast_retries):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    settings.WEBHOOK_DISABLE_AFTER_SECONDS = 0
    tenant, admin = workspace
    with Receiver(500) as receiver:
        _endpoint(admin, receiver.url)
        _deal(admin, on_commit)
        _deal(admin, on_commit, title="Second")
        _sweep(on_commit)  # the third failure in a row
        _sweep(on_commit)
    with tenant_scope(tenant):
        endpoint = WebhookEndpoint.objects.get()
        assert not endpoint.is_active and endpoint.disabled_reason == "failing"
        assert endpoint.consecutive_failures == 3
        assert Notification.objects.filter(kind="webhook_disabled").count() == 1
    assert len(receiver.received) == 3
    # Its deliveries are kept, failed, to be resent once it is fixed.
    assert {r.status for r in _deliveries(tenant)} == {"failed"}


def test_a_short_run_of_failures_keeps_the_endpoint_on(workspace, on_commit, settings):
    """Failures count only once they span WEBHOOK_DISABLE_AFTER_SECONDS: a receiver down for
    a minute is not switched off."""
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1
    tenant, admin = workspace
    with Receiver(500) as receiver:
        _endpoint(admin, receiver.url)
        _deal(admin, on_commit)
    with tenant_scope(tenant):
        assert WebhookEndpoint.objects.get().is_active


def test_resend_sends_a_failed_delivery_again(workspace, on_commit):
    tenant, admin = workspace
    with Receiver(400, 200) as receiver:
        _endpoint(admin, receiver.url)
        _deal(admin, on_commit)
        [row] = _deliveries(tenant)
        with tenant_scope(tenant, admin.user), on_commit():
            services.delivery_resend(actor=admin, found=row)
    [row] = _deliveries(tenant)
    assert (row.status, row.attempts, row.response_code) == ("delivered", 1, 200)
    assert [r.headers["webhook-id"] for r in receiver.received] == [row.webhook_id] * 2


def test_the_payload_is_json_of_declared_fields_only(workspace, on_commit):
    tenant, admin = workspace
    with Receiver(200) as receiver:
        _endpoint(admin, receiver.url, events=["deal.*"])
        deal = _deal(admin, on_commit)
        with tenant_scope(tenant, admin.user), on_commit():
            deal_services.deal_update(actor=admin, deal=deal, data={"title": "Renamed"})
    payloads = [json.loads(r.body) for r in receiver.received]
    updated = next(p for p in payloads if p["type"] == "deal.updated")
    assert updated["data"]["changes"]["title"] == ["Big deal", "Renamed"]


def test_an_unreadable_secret_fails_the_delivery_with_the_way_out(workspace, on_commit):
    """After SECRET_KEY is rotated the stored secret cannot be read: the delivery fails at
    once with what to do, instead of coming back forever."""
    tenant, admin = workspace
    with Receiver(200) as receiver:
        _endpoint(admin, receiver.url)
        with tenant_scope(tenant):
            # Encrypted under another key, as every secret is after SECRET_KEY changes.
            other_key = Fernet(Fernet.generate_key())
            WebhookEndpoint.objects.update(secret_encrypted=other_key.encrypt(b"x").decode())
        _deal(admin, on_commit)
        assert _sweep(on_commit) == 0
    [row] = _deliveries(tenant)
    assert row.status == "failed" and "new one" in row.error and receiver.received == []
