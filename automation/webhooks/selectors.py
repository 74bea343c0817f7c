"""Reads of webhook endpoints and their deliveries. Endpoints are the workspace managers'
(their callers check the role); the current workspace's only, by the tenant manager."""

from django.db.models import QuerySet

from ..webhook_models import WebhookDelivery, WebhookEndpoint


def endpoints() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("id")


def deliveries_of(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-id")
