"""Automation's tables."""
from .webhook_models import WebhookDelivery, WebhookEndpoint  # noqa: E402, F401
