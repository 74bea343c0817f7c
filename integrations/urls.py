from django.urls import path

from . import views

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
    path(
        "settings/channels/<int:pk>/auto-replies/",
        views.channel_autoreply,
        name="channel_autoreply",
    ),
    # One route per kind, so services.webhook_url can reverse "<kind>_webhook".
    path(
        "integrations/telegram/<str:token>/",
        views.webhook,
        {"kind": "telegram"},
        name="telegram_webhook",
    ),
]
