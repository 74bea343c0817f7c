"""Private iCal feeds: one per person per workspace, regenerated to revoke the old URL."""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from crm.accounts.models import Membership
from crm.activity.events import emit
from crm.activity.models import CalendarFeed
from crm.tenancy.context import require_tenant_id


@transaction.atomic
def calendar_feed_regenerate(*, actor: Membership) -> tuple[CalendarFeed, str]:
    """A new secret for the actor's feed in this workspace; the old URL stops working. The raw
    token is returned once and only its hash is kept."""
    raw = f"cal_{require_tenant_id()}_{secrets.token_urlsafe(32)}"
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(
        user=actor.user, defaults={"token_hash": CalendarFeed.hash(raw)}
    )
    if not created:
        feed.token_hash = CalendarFeed.hash(raw)
        feed.created_at = timezone.now()
        feed.last_used_at = None
        feed.save(update_fields=["token_hash", "created_at", "last_used_at"])
    emit("calendar_feed.regenerated", actor=actor.user, subject=feed)
    return feed, raw


@transaction.atomic
def calendar_feed_revoke(*, actor: Membership, feed: CalendarFeed) -> None:
    if feed.user_id != actor.user_id:
        raise PermissionDenied
    emit("calendar_feed.revoked", actor=actor.user, subject=feed)
    feed.delete()
