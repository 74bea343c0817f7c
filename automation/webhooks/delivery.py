"""Delivering events to endpoints: recorded by the event consumer, posted by a task, retried
by the beat sweep.

1. `record(event)` (the `webhooks` consumer, inside the event's dispatch transaction) writes
   one WebhookDelivery per endpoint that takes the event and may see it, unique per
   (endpoint, event), and enqueues a task per row on commit. Nothing slow runs there.
2. `attempt(delivery_id, attempts)` (the task) claims the row in a short transaction
   (`attempts` must still be what the task was given, so a task Celery delivers twice does
   nothing the second time), posts outside any transaction, then records the outcome.
3. A failure that may pass (a 5xx, 408, 429, a timeout, a refused connection) gets
   `next_attempt_at` from WEBHOOK_RETRY_DELAYS (about a day in all); `sweep()` (beat, every
   few seconds) takes due rows with FOR UPDATE SKIP LOCKED and enqueues them again. No
   Celery ETA: the schedule lives in the table, so a restart or Redis loses nothing.
4. A 410 Gone switches the endpoint off at once; so does a run of failures
   (WEBHOOK_DISABLE_AFTER_FAILURES in a row, spanning WEBHOOK_DISABLE_AFTER_SECONDS). Its
   pending deliveries then fail, to be resent once it is on again; the admins are told.

While an attempt runs, `next_attempt_at` is a lease (WEBHOOK_LEASE_SECONDS, longer than the
timeout): a worker killed mid-post leaves the row due again, and the sweep retries it. A
receiver may therefore get a message twice, with the same `webhook-id`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta

import urllib3
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import after_commit
from crm.accounts.models import Membership
from crm.activity import catalogue
from crm.activity.events import emit
from crm.activity.models import Event, Notification
from crm.activity.services import notify
from crm.tenancy.context import require_tenant_id

from ..webhook_models import WebhookDelivery, WebhookEndpoint
from . import payloads, signing, ssrf

log = logging.getLogger(__name__)

RETRYABLE_CODES = {408, 429}


def lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)


def enqueue(found: WebhookDelivery) -> None:
    from .tasks import deliver_webhook

    tenant_id, pk, attempts = found.tenant_id, found.pk, found.attempts
    after_commit.send(lambda: deliver_webhook.delay(tenant_id, pk, attempts), "a webhook delivery")


# --- 1. recording ---------------------------------------------------------------------------


def record(event: Event) -> int:
    """One delivery per active endpoint that takes `event` and whose owner may see it."""
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(is_active=True).select_related(
            "owner__role", "owner__user"
        )
        if catalogue.matches(frozenset(e.events), event.type)
    ]
    rows = [
        WebhookDelivery(
            endpoint=e,
            event=event,
            event_type=event.type,
            payload=payloads.body(e.owner, event),
            next_attempt_at=timezone.now() + lease(),
        )
        for e in endpoints
        if payloads.owner_may_see(e.owner, event)
    ]
    if not rows:
        return 0
    # The unique (tenant, endpoint, event) makes a second recording of the event a no-op.
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    for found in WebhookDelivery.objects.filter(
        event=event, endpoint__in=[r.endpoint for r in rows], attempts=0, status="pending"
    ):
        enqueue(found)
    return len(rows)


# --- 2. one attempt -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retry: bool = False
    gone: bool = False
    code: int | None = None
    excerpt: str = ""
    error: str = ""


def attempt(delivery_id: int, attempts: int) -> Outcome | None:
    """Post one delivery once, if it is still pending at `attempts` attempts."""
    now = timezone.now()
    with transaction.atomic():
        found = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=WebhookDelivery.PENDING, attempts=attempts)
            .first()
        )
        if found is None:
            return None  # done, taken by another worker, or a duplicate task
        if not found.endpoint.is_active:
            _fail(found, _("The endpoint is switched off."))
            return None
        try:
            secret = signing.decrypt(found.endpoint.secret_encrypted)
        except InvalidToken:  # SECRET_KEY was rotated: only a new secret helps
            _fail(found, _("The signing secret cannot be read: make a new one, then resend."))
            return None
        found.attempts += 1
        found.last_attempt_at, found.next_attempt_at = now, now + lease()
        found.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
        url = found.endpoint.url
    outcome = post(url, secret, found, now)
    _finish(found.pk, found.attempts, outcome)
    return outcome


def post(url: str, secret: str, found: WebhookDelivery, at) -> Outcome:
    body = json.dumps(found.payload, separators=(",", ":"), ensure_ascii=False)
    headers = {
        **signing.headers(secret, found.webhook_id, at, body),
        "Content-Type": "application/json",
        "User-Agent": "CRM-Webhooks/1.0",
    }
    try:
        answer = ssrf.post(url, body.encode(), headers)
    except ssrf.Refused as exc:
        return Outcome(ok=False, error=str(exc))
    except urllib3.exceptions.NewConnectionError as exc:  # before TimeoutError: a subclass
        return Outcome(
            ok=False, retry=True, error=_("Could not connect: %(error)s") % {"error": exc}
        )
    except urllib3.exceptions.TimeoutError:
        return Outcome(ok=False, retry=True, error=_("The endpoint did not answer in time."))
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return Outcome(
            ok=False, retry=True, error=_("Could not connect: %(error)s") % {"error": exc}
        )
    code, excerpt = answer.status, answer.excerpt
    if 200 <= code < 300:
        return Outcome(ok=True, code=code, excerpt=excerpt)
    error = _("The endpoint answered %(code)s.") % {"code": code}
    if code == 410:
        return Outcome(ok=False, gone=True, code=code, excerpt=excerpt, error=error)
    retry = code >= 500 or code in RETRYABLE_CODES
    return Outcome(ok=False, retry=retry, code=code, excerpt=excerpt, error=error)


def _finish(delivery_id: int, attempts: int, outcome: Outcome) -> None:
    now = timezone.now()
    with transaction.atomic():
        found = (
            WebhookDelivery.objects.select_for_update()
            .filter(pk=delivery_id, status=WebhookDelivery.PENDING, attempts=attempts)
            .first()
        )
        if found is None:
            return  # resent or cancelled meanwhile: that round owns the row now
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=found.endpoint_id)
        found.response_code, found.error = outcome.code, outcome.error
        found.response_excerpt = outcome.excerpt[: settings.WEBHOOK_MAX_RESPONSE_BYTES]
        if outcome.ok:
            found.status, found.delivered_at, found.next_attempt_at = "delivered", now, None
            if endpoint.consecutive_failures:
                endpoint.consecutive_failures, endpoint.failing_since = 0, None
                endpoint.save(update_fields=["consecutive_failures", "failing_since"])
        else:
            delays = settings.WEBHOOK_RETRY_DELAYS
            if outcome.retry and not outcome.gone and found.attempts <= len(delays):
                found.next_attempt_at = now + timedelta(seconds=delays[found.attempts - 1])
            else:
                found.status, found.next_attempt_at = WebhookDelivery.FAILED, None
            endpoint.consecutive_failures += 1
            endpoint.failing_since = endpoint.failing_since or now
            endpoint.save(update_fields=["consecutive_failures", "failing_since"])
        found.save()
        if outcome.gone:
            disable(endpoint, WebhookEndpoint.GONE)
        elif not outcome.ok and _failing_too_long(endpoint, now):
            disable(endpoint, WebhookEndpoint.FAILING)


def _failing_too_long(endpoint: WebhookEndpoint, now) -> bool:
    span = timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER_SECONDS)
    return (
        endpoint.is_active
        and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES
        and endpoint.failing_since is not None
        and endpoint.failing_since <= now - span
    )


def _fail(found: WebhookDelivery, error: str) -> None:
    found.status, found.next_attempt_at, found.error = WebhookDelivery.FAILED, None, error
    found.save(update_fields=["status", "next_attempt_at", "error"])


def disable(endpoint: WebhookEndpoint, reason: str) -> None:
    """Switch `endpoint` off for `reason` (inside a transaction holding its row): its pending
    deliveries fail, to be resent later; the system's own reasons are an event and a
    notification to every admin."""
    endpoint.is_active = False
    endpoint.disabled_reason, endpoint.disabled_at = reason, timezone.now()
    endpoint.save(update_fields=["is_active", "disabled_reason", "disabled_at"])
    WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.PENDING).update(
        status=WebhookDelivery.FAILED,
        next_attempt_at=None,
        error=_("The endpoint was switched off before this was delivered."),
    )
    if reason == WebhookEndpoint.MANUAL:
        return
    event = emit("webhook.disabled", actor=None, subject=endpoint, data={"reason": reason})
    title = _("Webhook switched off: %(url)s. %(reason)s") % {
        "url": endpoint.url,
        "reason": endpoint.get_disabled_reason_display(),
    }
    admins = Membership.objects.filter(is_active=True, role__can_manage_workspace=True)
    for admin in admins.select_related("user"):
        notify(
            recipient=admin.user,
            kind=Notification.WEBHOOK_DISABLED,
            title=title,
            url=reverse("webhook_detail", args=[endpoint.pk]),
            event=event,
        )


# --- 3. the sweep ---------------------------------------------------------------------------


def sweep(limit: int = 500) -> int:
    """Enqueue the current workspace's due deliveries (retries, and any whose task was lost
    or whose worker died), each claimed for a lease so the next sweep leaves it alone."""
    now = timezone.now()
    tenant_id = require_tenant_id()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookDelivery.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", "attempts")[:limit]
        )
        if not due:
            return 0
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _a in due]).update(
            next_attempt_at=now + lease()
        )

        def send():
            from .tasks import deliver_webhook

            for pk, attempts in due:
                deliver_webhook.delay(tenant_id, pk, attempts)

        after_commit.send(send, "webhook deliveries")
    return len(due)
