"""Automation's tables."""

from .webhook_models import WebhookDelivery, WebhookEndpoint  # noqa: F401
