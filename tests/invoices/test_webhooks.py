"""Payment providers' webhooks over real HTTP (pytest-django's live server on loopback):
Stripe and Razorpay events signed correctly record a payment once; forged, stale or unsigned
ones are refused with nothing stored; the workspace comes from the URL's token alone."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from decimal import Decimal

import pytest

from crm.tenancy.context import tenant_scope
from invoices import crypto, flows, providers
from invoices.models import Invoice, Payment, ProviderEvent, ProviderSettings
from tests.conftest import add_member, login, make_workspace

from .flows_helpers import issued

pytestmark = pytest.mark.django_db(transaction=True)

STRIPE_SECRET = "whsec_test_5f1c0ffee"
RAZORPAY_SECRET = "rzp_webhook_secret_42"


def _post(url: str, body: bytes, headers: dict) -> int:
    assert url.startswith("http://")  # the live server on loopback
    request = urllib.request.Request(  # noqa: S310 (http:// on loopback, checked above)
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _settings(member) -> ProviderSettings:
    with tenant_scope(member.tenant_id, member.user):
        return flows.provider_settings_save(
            actor=member, stripe_secret=STRIPE_SECRET, razorpay_secret=RAZORPAY_SECRET
        )


def _stripe_event(invoice, event_id="evt_1", amount=10000, kind="checkout.session.completed"):
    obj = {"id": "cs_test_1", "payment_intent": "pi_test_1", "amount_total": amount,
           "currency": "usd", "payment_status": "paid",
           "metadata": {"invoice_number": invoice.number}}  # fmt: skip
    if kind == "payment_intent.succeeded":
        obj = {"id": "pi_test_1", "amount_received": amount, "currency": "usd",
               "metadata": {"invoice_id": str(invoice.pk)}}  # fmt: skip
    return json.dumps({"id": event_id, "type": kind, "data": {"object": obj}}).encode()


def test_a_signed_stripe_event_records_the_payment_once(live_server):
    tenant, owner = make_workspace("Stripe Co")
    invoice = issued(owner, price="250.00")
    found = _settings(owner)
    url = live_server.url + f"/hooks/payments/stripe/{found.webhook_token}/"
    body = _stripe_event(invoice, amount=10000)
    signed = {"Stripe-Signature": providers.stripe_signature(STRIPE_SECRET, body)}
    assert _post(url, body, signed) == 200
    assert _post(url, body, signed) == 200  # redelivered: nothing more
    # The same money told by the other event type (same payment intent): nothing more.
    twin = _stripe_event(invoice, "evt_2", 10000, "payment_intent.succeeded")
    assert (
        _post(url, twin, {"Stripe-Signature": providers.stripe_signature(STRIPE_SECRET, twin)})
        == 200
    )
    with tenant_scope(tenant):
        [payment] = Payment.objects.all()
        assert payment.amount == Decimal("100.00") and payment.external_id == "stripe:pi_test_1"
        assert Invoice.objects.get(pk=invoice.pk).payment_status == "partial"
        assert ProviderEvent.objects.count() == 2


def test_forged_stale_and_unsigned_stripe_events_store_nothing(live_server):
    tenant, owner = make_workspace("Stripe Co")
    invoice = issued(owner)
    found = _settings(owner)
    url = live_server.url + f"/hooks/payments/stripe/{found.webhook_token}/"
    body = _stripe_event(invoice)
    forged = providers.stripe_signature("whsec_someone_else", body)
    stale = providers.stripe_signature(STRIPE_SECRET, body, at=int(time.time()) - 600)
    tampered_sig = providers.stripe_signature(STRIPE_SECRET, body)
    assert _post(url, body, {"Stripe-Signature": forged}) == 403
    assert _post(url, body, {"Stripe-Signature": stale}) == 403
    assert _post(url, body + b" ", {"Stripe-Signature": tampered_sig}) == 403
    assert _post(url, body, {"Stripe-Signature": "t=abc,v1=zz"}) == 403
    assert _post(url, body, {}) == 401
    assert _post(live_server.url + f"/hooks/payments/stripe/{tenant.pk}_nope/", body,
                 {"Stripe-Signature": tampered_sig}) == 404  # fmt: skip
    with tenant_scope(tenant):
        assert not ProviderEvent.objects.exists() and not Payment.objects.exists()


def test_razorpay_signed_and_forged(live_server):
    tenant, owner = make_workspace("Razor Co")
    invoice = issued(owner, price="500.00", currency="INR")
    found = _settings(owner)
    url = live_server.url + f"/hooks/payments/razorpay/{found.webhook_token}/"
    body = json.dumps({
        "entity": "event", "event": "payment.captured", "contains": ["payment"],
        "payload": {"payment": {"entity": {
            "id": "pay_29QQoUBi66xm2f", "amount": 50000, "currency": "INR",
            "notes": {"invoice": invoice.number},
        }}},
    }).encode()  # fmt: skip
    good = {"X-Razorpay-Signature": providers.razorpay_signature(RAZORPAY_SECRET, body),
            "X-Razorpay-Event-Id": "evt_rzp_1"}  # fmt: skip
    assert _post(url, body, {**good, "X-Razorpay-Signature": "0" * 64}) == 403
    assert _post(url, body, {"X-Razorpay-Event-Id": "evt_rzp_1"}) == 401
    with tenant_scope(tenant):
        assert not ProviderEvent.objects.exists()
    assert _post(url, body, good) == 200
    assert _post(url, body, good) == 200
    with tenant_scope(tenant):
        [payment] = Payment.objects.all()
        assert payment.amount == Decimal("500.00") and payment.currency == "INR"
        assert Invoice.objects.get(pk=invoice.pk).payment_status == "paid"


def test_the_token_names_the_workspace_never_the_body(live_server):
    (tenant_a, owner_a), (tenant_b, owner_b) = make_workspace("A"), make_workspace("B")
    theirs = issued(owner_b)
    found_a = _settings(owner_a)
    _settings(owner_b)
    # A's URL and secret, an event naming B's invoice (by id and number): nothing in B.
    body = _stripe_event(theirs)
    url = live_server.url + f"/hooks/payments/stripe/{found_a.webhook_token}/"
    assert (
        _post(url, body, {"Stripe-Signature": providers.stripe_signature(STRIPE_SECRET, body)})
        == 200
    )
    with tenant_scope(tenant_b):
        assert not Payment.objects.exists()
        assert Invoice.objects.get(pk=theirs.pk).payment_status == "unpaid"
    with tenant_scope(tenant_a):
        assert ProviderEvent.objects.get().outcome.startswith("no issued invoice")
    # B's token with A's id in front finds nothing.
    with tenant_scope(tenant_b):
        secret = ProviderSettings.objects.get().webhook_token.partition("_")[2]
    spoofed = live_server.url + f"/hooks/payments/stripe/{tenant_a.pk}_{secret}/"
    assert (
        _post(spoofed, body, {"Stripe-Signature": providers.stripe_signature(STRIPE_SECRET, body)})
        == 404
    )


def test_secrets_are_encrypted_and_only_admins_edit_them(client):
    tenant, owner = make_workspace("Secrets")
    found = _settings(owner)
    assert STRIPE_SECRET not in found.stripe_secret
    assert crypto.decrypt(found.stripe_secret) == STRIPE_SECRET
    login(client, owner)
    page = client.get("/settings/payment-providers/").content.decode()
    assert STRIPE_SECRET not in page and found.webhook_token in page
    manager = add_member(tenant)
    login(client, manager)
    assert client.get("/settings/payment-providers/").status_code in (403, 404)
    client.post("/settings/payment-providers/", {"stripe_secret": "mine", "regenerate": "1"})
    with tenant_scope(tenant):
        assert ProviderSettings.objects.get().webhook_token == found.webhook_token


def test_odd_but_signed_bodies_are_answered_without_a_500(live_server):
    tenant, owner = make_workspace("Odd Co")
    invoice = issued(owner)
    found = _settings(owner)
    url = live_server.url + f"/hooks/payments/stripe/{found.webhook_token}/"
    bodies = [
        json.dumps({"id": "evt_\u0000nul", "type": "payment_intent.succeeded",
                    "data": {"object": {"id": "pi_\u0000", "amount_received": "x",
                                        "metadata": {"invoice_id": "\u0000"}}}}).encode(),
        json.dumps({"id": "evt_list", "type": "checkout.session.completed", "data": []}).encode(),
        json.dumps({"id": "evt_other", "type": "customer.created"}).encode(),
        b"[1, 2]",
        b"not json",
    ]  # fmt: skip
    codes = [
        _post(url, body, {"Stripe-Signature": providers.stripe_signature(STRIPE_SECRET, body)})
        for body in bodies
    ]
    assert codes == [200, 200, 200, 400, 400]
    with tenant_scope(tenant):
        assert not Payment.objects.exists()
        assert Invoice.objects.get(pk=invoice.pk).payment_status == "unpaid"
        assert set(ProviderEvent.objects.values_list("outcome", flat=True)) == {"ignored"}
