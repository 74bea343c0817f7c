from django.urls import path

from . import call_views, views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/list/", views.inbox_list, name="inbox_list"),
    path("inbox/unread/", views.inbox_unread, name="inbox_unread"),
    path("inbox/<int:pk>/", views.inbox, name="inbox_conversation"),
    path("inbox/<int:pk>/messages/", views.inbox_messages, name="inbox_messages"),
    path("inbox/<int:pk>/reply/", views.inbox_reply, name="inbox_reply"),
    path("inbox/<int:pk>/update/", views.inbox_update, name="inbox_update"),
    path("inbox/files/<int:pk>/", views.attachment, name="inbox_attachment"),
    path("settings/channels/", views.channel_settings, name="channels"),
    path(
        "settings/channels/<int:pk>/reconnect/", views.channel_reconnect, name="channel_reconnect"
    ),
    path("settings/channels/<int:pk>/retry/", views.channel_retry, name="channel_retry"),
    # One route per kind, so services.webhook_url can reverse "<kind>_webhook".
    path(
        "integrations/telegram/<str:token>/",
        views.webhook,
        {"kind": "telegram"},
        name="telegram_webhook",
    ),
    # Meta's (WhatsApp, Messenger, Instagram) and VK's: the admin pastes these URLs into
    # the far end's console.
    path(
        "integrations/whatsapp/<str:token>/",
        views.webhook,
        {"kind": "whatsapp"},
        name="whatsapp_webhook",
    ),
    path(
        "integrations/messenger/<str:token>/",
        views.webhook,
        {"kind": "messenger"},
        name="messenger_webhook",
    ),
    path(
        "integrations/instagram/<str:token>/",
        views.webhook,
        {"kind": "instagram"},
        name="instagram_webhook",
    ),
    path("integrations/vk/<str:token>/", views.webhook, {"kind": "vk"}, name="vk_webhook"),
    path(
        "integrations/twilio/<str:token>/", views.webhook, {"kind": "twilio"}, name="twilio_webhook"
    ),
    path(
        "integrations/zadarma/<str:token>/",
        views.webhook,
        {"kind": "zadarma"},
        name="zadarma_webhook",
    ),
    path("integrations/pbx/<str:token>/", views.webhook, {"kind": "pbx"}, name="pbx_webhook"),
    path("inbox/calls/dial/", call_views.dial, name="call_dial"),
]
