"""Payment providers' webhooks: checking a delivery's signature and reading a paid event.

Stripe signs `"<t>.<raw body>"` with HMAC-SHA256 under the endpoint's secret and sends
`Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>...]`; a signature older or newer than
five minutes is refused (a replayed request). Razorpay signs the raw body with HMAC-SHA256
under the webhook secret and sends the hex in `X-Razorpay-Signature`, the event's id in
`X-Razorpay-Event-Id`.

`paid(provider, event)` reads an event into a `Paid` (which invoice, how much, which provider
id), or None for an event that records no payment.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from decimal import Decimal

from .models import ProviderEvent

TOLERANCE_SECONDS = 300
# Currencies whose smallest unit is the unit itself (amounts are sent in the smallest unit).
ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "PYG", "UGX", "XAF", "XOF"}


def _hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def presented(provider: str, headers) -> bool:
    name = "Stripe-Signature" if provider == ProviderEvent.STRIPE else "X-Razorpay-Signature"
    return bool(headers.get(name))


def verify(provider: str, secret: str, headers, body: bytes, now: float | None = None) -> bool:
    if not secret:
        return False
    if provider == ProviderEvent.STRIPE:
        parts = [p.partition("=") for p in headers.get("Stripe-Signature", "").split(",")]
        stamps = [v.strip() for k, _s, v in parts if k.strip() == "t"]
        signatures = [v.strip() for k, _s, v in parts if k.strip() == "v1"]
        if len(stamps) != 1 or not stamps[0].isdigit() or not signatures:
            return False
        if abs((now or time.time()) - int(stamps[0])) > TOLERANCE_SECONDS:
            return False
        expected = _hmac(secret, stamps[0].encode() + b"." + body)
        return any(hmac.compare_digest(expected, s) for s in signatures)
    if provider == ProviderEvent.RAZORPAY:
        given = headers.get("X-Razorpay-Signature", "").strip()
        return bool(given) and hmac.compare_digest(_hmac(secret, body), given)
    return False


def stripe_signature(secret: str, body: bytes, at: int | None = None) -> str:
    """The header Stripe would send (for the settings page's test and the tests)."""
    at = int(time.time()) if at is None else at
    return f"t={at},v1={_hmac(secret, str(at).encode() + b'.' + body)}"


def razorpay_signature(secret: str, body: bytes) -> str:
    return _hmac(secret, body)


@dataclass
class Paid:
    payment_id: str  # the provider's id of the money (a payment intent, a Razorpay payment)
    invoice_ref: str  # an invoice id or number, as the seller put it in metadata / notes
    amount: Decimal
    currency: str


def _money(minor, currency: str) -> Decimal | None:
    try:
        value = Decimal(int(minor))
    except (TypeError, ValueError):
        return None
    return value if currency in ZERO_DECIMAL else (value / 100).quantize(Decimal("0.01"))


def _text(value, length: int) -> str:
    """A provider's value as text fit to store (PostgreSQL takes no NUL)."""
    return str(value or "").replace("\x00", "")[:length]


def event_id(provider: str, headers, event: dict) -> str:
    if provider == ProviderEvent.STRIPE:
        return _text(event.get("id"), 120)
    return _text(headers.get("X-Razorpay-Event-Id"), 120)


def event_type(provider: str, event: dict) -> str:
    return _text(event.get("type" if provider == ProviderEvent.STRIPE else "event"), 60)


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _entity(event: dict, name: str) -> dict:
    """Razorpay's payload.<name>.entity, or {} whatever shape the body has."""
    return _dict(_dict(_dict(event.get("payload")).get(name)).get("entity"))


def paid(provider: str, event: dict) -> Paid | None:
    if not isinstance(event, dict):
        return None
    kind = event_type(provider, event)
    if provider == ProviderEvent.STRIPE:
        data = event.get("data")
        obj = (data.get("object") if isinstance(data, dict) else None) or {}
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        if not isinstance(obj, dict) or not isinstance(meta, dict | None):
            return None
        meta = meta or {}
        ref = str(meta.get("invoice_id") or meta.get("invoice_number") or meta.get("invoice") or "")
        currency = str(obj.get("currency") or "").upper()
        if kind == "checkout.session.completed":
            if obj.get("payment_status") not in (None, "paid"):
                return None
            pid, minor = obj.get("payment_intent") or obj.get("id"), obj.get("amount_total")
        elif kind == "payment_intent.succeeded":
            pid, minor = obj.get("id"), obj.get("amount_received", obj.get("amount"))
        else:
            return None
    elif provider == ProviderEvent.RAZORPAY:
        if kind not in ("payment.captured", "order.paid"):
            return None
        payment, order = _entity(event, "payment"), _entity(event, "order")
        notes = {**_dict(order.get("notes")), **_dict(payment.get("notes"))}
        ref = str(notes.get("invoice") or notes.get("invoice_id") or "")
        currency = str(payment.get("currency") or order.get("currency") or "").upper()
        pid = payment.get("id") or order.get("id")
        minor = payment.get("amount", order.get("amount_paid"))
    else:
        return None
    amount = _money(minor, currency)
    if not pid or not ref or amount is None or amount <= 0:
        return None
    return Paid(_text(pid, 100), _text(ref, 60), amount, _text(currency, 3))
