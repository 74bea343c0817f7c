"""Inbound webhooks under abuse: a rate per channel (its URL's token), per address, and for
refused calls per address, each answered 429 with Retry-After and nothing stored; forged
signatures refused (401/403) and counted against the address; replays (the same delivery
or event again, a Stripe signature past its five minutes, a Razorpay body under a new
event id) change nothing.

The channels are Telegram's (a stand-in Bot API on loopback) and Stripe's and Razorpay's
payment endpoints; the per-kind signature checks have their own tests beside each adapter.
"""

from __future__ import annotations

import json
import time

import pytest

from crm.tenancy.context import tenant_scope
from integrations.models import RawDelivery
from invoices import flows, providers
from invoices.models import Payment, ProviderEvent
from tests.conftest import make_workspace
from tests.integrations.conftest import connect_channel
from tests.integrations.conftest import telegram as telegram
from tests.integrations.stand_in import update
from tests.integrations.test_telegram import deliver, hook
from tests.invoices.flows_helpers import issued

pytestmark = pytest.mark.django_db

STRIPE_SECRET = "whsec_test_5f1c0ffee"
RAZORPAY_SECRET = "rzp_webhook_secret_42"


@pytest.fixture
def limits(settings):
    def set_limits(channel=1000, ip=1000, ip_refused=1000):
        settings.WEBHOOK_RATE_LIMITS = {"channel": channel, "ip": ip, "ip_refused": ip_refused}

    set_limits()
    return set_limits


def _at(client, address: str):
    client.defaults["REMOTE_ADDR"] = address
    return client


def _deliveries(channel) -> int:
    with tenant_scope(channel.tenant_id):
        return RawDelivery.objects.filter(channel=channel).count()


def _assert_429(response) -> None:
    assert response.status_code == 429, response.status_code
    assert 1 <= int(response["Retry-After"]) <= 60


def test_a_channel_past_its_rate_is_answered_429_and_stores_nothing(
    client, workspace, telegram, limits
):
    limits(channel=5)
    first = connect_channel(workspace[1], telegram, name="First")
    second = connect_channel(workspace[1], telegram, name="Second")
    for n in range(5):
        assert deliver(client, first, update(n + 1)).status_code == 200
    _assert_429(deliver(client, first, update(99)))
    assert _deliveries(first) == 5
    # Another channel has its own count.
    assert deliver(client, second, update(1)).status_code == 200


def test_forged_calls_do_not_use_up_a_channels_rate(client, workspace, telegram, limits):
    """Someone who learnt a webhook's URL but cannot sign it cannot silence the channel."""
    limits(channel=2)
    channel = connect_channel(workspace[1], telegram)
    for n in range(5):
        assert deliver(client, channel, update(n + 1), secret="forged").status_code == 403
    assert deliver(client, channel, update(10)).status_code == 200
    assert deliver(client, channel, update(11)).status_code == 200
    _assert_429(deliver(client, channel, update(12)))


def test_an_address_past_its_rate_is_answered_429_on_every_channel(
    client, workspace, telegram, limits
):
    limits(ip=3)
    first = connect_channel(workspace[1], telegram, name="First")
    second = connect_channel(workspace[1], telegram, name="Second")
    _at(client, "203.0.113.7")
    for n in range(3):
        assert deliver(client, first, update(n + 1)).status_code == 200
    _assert_429(deliver(client, second, update(9)))
    assert _deliveries(second) == 0
    assert deliver(_at(client, "203.0.113.8"), second, update(9)).status_code == 200


def test_forged_calls_are_refused_and_then_their_address_is_turned_away(
    client, workspace, telegram, limits
):
    limits(ip_refused=3)
    channel = connect_channel(workspace[1], telegram)
    _at(client, "198.51.100.1")
    assert deliver(client, channel, update(1), secret="forged-secret").status_code == 403
    assert deliver(client, channel, update(2), secret="").status_code == 401
    url = hook(channel).replace(channel.webhook_token, f"{workspace[0].pk}_guessed")
    assert client.post(url, update(3), content_type="application/json").status_code == 404
    # Three refusals: from now on this address is answered 429 before any check, even
    # with the right secret; another address is not.
    _assert_429(deliver(client, channel, update(4)))
    assert _deliveries(channel) == 0
    assert deliver(_at(client, "198.51.100.2"), channel, update(4)).status_code == 200


def test_a_replayed_channel_delivery_is_stored_once(client, workspace, telegram, limits):
    channel = connect_channel(workspace[1], telegram)
    for _attempt in range(3):
        assert deliver(client, channel, update(7)).status_code == 200
    assert _deliveries(channel) == 1


def _payments_set_up(label: str):
    tenant, owner = make_workspace(label)
    invoice = issued(owner, price="250.00")
    with tenant_scope(tenant, owner.user):
        found = flows.provider_settings_save(
            actor=owner, stripe_secret=STRIPE_SECRET, razorpay_secret=RAZORPAY_SECRET
        )
    return tenant, invoice, found.webhook_token


def _stripe(client, token, body: bytes, at: int | None = None):
    signature = providers.stripe_signature(STRIPE_SECRET, body, at=at)
    return client.post(
        f"/hooks/payments/stripe/{token}/", body, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )  # fmt: skip


def _stripe_event(invoice, event_id: str) -> bytes:
    obj = {"id": "cs_1", "payment_intent": "pi_1", "amount_total": 10000, "currency": "usd",
           "payment_status": "paid", "metadata": {"invoice_number": invoice.number}}  # fmt: skip
    return json.dumps({"id": event_id, "type": "checkout.session.completed",
                       "data": {"object": obj}}).encode()  # fmt: skip


def test_a_payment_endpoint_past_its_rate_is_answered_429(client, limits):
    limits(channel=2)
    tenant, invoice, token = _payments_set_up("Stripe Co")
    assert _stripe(client, token, _stripe_event(invoice, "evt_1")).status_code == 200
    assert _stripe(client, token, _stripe_event(invoice, "evt_2")).status_code == 200
    _assert_429(_stripe(client, token, _stripe_event(invoice, "evt_3")))
    with tenant_scope(tenant):
        assert ProviderEvent.objects.count() == 2


def test_forged_payment_calls_count_against_the_address(client, limits):
    limits(ip_refused=2)
    tenant, invoice, token = _payments_set_up("Stripe Co")
    body = _stripe_event(invoice, "evt_1")
    forged = providers.stripe_signature("whsec_someone_else", body)
    _at(client, "192.0.2.9")
    for _attempt in range(2):
        response = client.post(
            f"/hooks/payments/stripe/{token}/", body, content_type="application/json",
            HTTP_STRIPE_SIGNATURE=forged,
        )  # fmt: skip
        assert response.status_code == 403
    _assert_429(_stripe(client, token, body))
    with tenant_scope(tenant):
        assert not ProviderEvent.objects.exists()


def test_replayed_payment_events_record_the_money_once(client, limits):
    tenant, invoice, token = _payments_set_up("Replay Co")
    body = _stripe_event(invoice, "evt_1")
    assert _stripe(client, token, body).status_code == 200
    assert _stripe(client, token, body).json() == {"ok": True, "duplicate": True}
    # A captured request replayed after Stripe's five minutes: its signature is refused.
    stale = _stripe(client, token, _stripe_event(invoice, "evt_9"), at=int(time.time()) - 301)
    assert stale.status_code == 403
    # Razorpay signs the body only, not the event id header: the same body under a new id
    # is a new event, and still no second payment (payments are kept once per provider id).
    razorpay = json.dumps({
        "event": "payment.captured",
        "payload": {"payment": {"entity": {"id": "pay_1", "amount": 5000, "currency": "USD",
                                           "notes": {"invoice": invoice.number}}}},
    }).encode()  # fmt: skip
    signature = providers.razorpay_signature(RAZORPAY_SECRET, razorpay)
    for event_id in ("rzp_evt_1", "rzp_evt_1", "rzp_evt_forged_new_id"):
        response = client.post(
            f"/hooks/payments/razorpay/{token}/", razorpay, content_type="application/json",
            HTTP_X_RAZORPAY_SIGNATURE=signature, HTTP_X_RAZORPAY_EVENT_ID=event_id,
        )  # fmt: skip
        assert response.status_code == 200
    with tenant_scope(tenant):
        assert sorted(Payment.objects.values_list("external_id", flat=True)) == [
            "razorpay:pay_1", "stripe:pi_1"
        ]  # fmt: skip
