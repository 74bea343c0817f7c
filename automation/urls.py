"""Automation's pages."""

from django.urls import path

from .webhooks import views as webhook_views

urlpatterns: list = [
    path("settings/webhooks/", webhook_views.webhooks, name="webhooks"),
    path("settings/webhooks/<int:pk>/", webhook_views.webhook_detail, name="webhook_detail"),
    path("settings/webhooks/<int:pk>/toggle/", webhook_views.webhook_toggle, name="webhook_toggle"),
    path("settings/webhooks/<int:pk>/delete/", webhook_views.webhook_delete, name="webhook_delete"),
    path(
        "settings/webhooks/<int:pk>/rotate-secret/",
        webhook_views.webhook_rotate_secret,
        name="webhook_rotate_secret",
    ),
    path(
        "settings/webhooks/deliveries/<int:pk>/redeliver/",
        webhook_views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
