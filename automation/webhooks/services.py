"""Every write to webhook endpoints by a person: add, change, switch off or on, delete,
resend a delivery. Only members whose role manages the workspace may; each change is an
event (the audit trail shows it)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.accounts.models import Membership
from crm.activity import catalogue
from crm.activity.events import changes, emit, snapshot

from ..webhook_models import WebhookDelivery, WebhookEndpoint
from . import delivery, signing, ssrf

FIELDS = ["url", "description", "events", "is_active"]


def _require_manager(actor: Membership) -> None:
    if not actor.role.can_manage_workspace:
        raise PermissionDenied(_("Only those who manage the workspace may change webhooks."))


def clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise ValidationError({"url": [_("Enter the URL that receives the events.")]})
    if len(url) > 2000:
        raise ValidationError({"url": [_("The URL is longer than 2000 characters.")]})
    try:
        ssrf.check_url(url)  # names are resolved, and checked again, at each delivery
    except ssrf.Refused as exc:
        raise ValidationError({"url": [str(exc)]}) from None
    return url


def clean_events(events) -> list[str]:
    if not isinstance(events, list | tuple) or not all(isinstance(e, str) for e in events):
        raise ValidationError({"events": [_("Give a list of event types.")]})
    events = list(dict.fromkeys(e.strip() for e in events if e.strip()))
    if not events:
        raise ValidationError({"events": [_("Choose at least one event type.")]})
    unknown = catalogue.unknown_in(events)
    if unknown:
        raise ValidationError(
            {"events": [_("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)}]}
        )
    return events


@transaction.atomic
def endpoint_create(
    *, actor: Membership, url: str, events, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its signing secret, which is shown this once."""
    _require_manager(actor)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        url=clean_url(url),
        events=clean_events(events),
        description=(description or "").strip()[:200],
        secret_encrypted=signing.encrypt(secret),
        owner=actor,
    )
    endpoint.save()
    emit("webhook.created", actor=actor.user, subject=endpoint,
         data={"changes": changes({}, snapshot(endpoint, FIELDS))})  # fmt: skip
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *,
    actor: Membership,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events=None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given. Switching an endpoint back on clears its failures (the admin
    has fixed the receiver); switching it off keeps its pending deliveries for a resend."""
    _require_manager(actor)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = snapshot(endpoint, FIELDS)
    if url is not None:
        endpoint.url = clean_url(url)
    if events is not None:
        endpoint.events = clean_events(events)
    if description is not None:
        endpoint.description = description.strip()[:200]
    if is_active is True and not endpoint.is_active:
        endpoint.is_active = True
        endpoint.disabled_reason, endpoint.disabled_at = "", None
        endpoint.consecutive_failures, endpoint.failing_since = 0, None
    elif is_active is False and endpoint.is_active:
        delivery.disable(endpoint, WebhookEndpoint.MANUAL)
    endpoint.save()
    changed = changes(before, snapshot(endpoint, FIELDS))
    if changed:
        emit("webhook.updated", actor=actor.user, subject=endpoint, data={"changes": changed})
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: Membership, endpoint: WebhookEndpoint) -> None:
    _require_manager(actor)
    gone = {k: [v, None] for k, v in snapshot(endpoint, FIELDS).items()}
    emit("webhook.deleted", actor=actor.user, subject=endpoint, data={"changes": gone})
    endpoint.delete()


@transaction.atomic
def endpoint_rotate_secret(*, actor: Membership, endpoint: WebhookEndpoint) -> str:
    """A new signing secret, shown this once; the old one stops signing at once."""
    _require_manager(actor)
    secret = signing.new_secret()
    endpoint.secret_encrypted = signing.encrypt(secret)
    endpoint.save(update_fields=["secret_encrypted"])
    emit("webhook.updated", actor=actor.user, subject=endpoint,
         data={"changes": {"secret": ["…", "…"]}})  # fmt: skip
    return secret


@transaction.atomic
def delivery_resend(*, actor: Membership, found: WebhookDelivery) -> WebhookDelivery:
    """Send a failed delivery again, as it was (same body, same webhook-id), with a fresh
    round of retries. Only to an endpoint that is on."""
    _require_manager(actor)
    found = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=found.pk)
    if found.status != WebhookDelivery.FAILED:
        raise ValidationError({"delivery": [_("Only a failed delivery can be sent again.")]})
    if not found.endpoint.is_active:
        raise ValidationError(
            {"delivery": [_("The endpoint is switched off: switch it on first.")]}
        )
    found.status, found.attempts, found.error = WebhookDelivery.PENDING, 0, ""
    found.next_attempt_at = timezone.now() + delivery.lease()
    found.save(update_fields=["status", "attempts", "error", "next_attempt_at"])
    delivery.enqueue(found)
    return found
