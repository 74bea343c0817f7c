from django.urls import path

from . import canned_views, team_views, views

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
    # Canned responses, and the thread composer's picker and @mention suggestions.
    path("inbox/canned/", canned_views.canned_list, name="canned_responses"),
    path("inbox/canned/<int:pk>/", canned_views.canned_edit, name="canned_edit"),
    path("inbox/canned/<int:pk>/delete/", canned_views.canned_delete, name="canned_delete"),
    path("inbox/<int:pk>/canned/", canned_views.canned_picker, name="inbox_canned"),
    path("inbox/<int:pk>/mentions/", team_views.inbox_mentions, name="inbox_mentions"),
    # The team chat.
    path("team/", team_views.team_home, name="team"),
    path("team/unread/", team_views.team_unread, name="team_unread"),
    path("team/direct/", team_views.team_direct, name="team_direct"),
    path("team/<int:pk>/", team_views.team_room, name="team_room"),
    path("team/<int:pk>/messages/", team_views.team_messages, name="team_messages"),
    path("team/<int:pk>/post/", team_views.team_post, name="team_post"),
    path("team/<int:pk>/mentions/", team_views.team_mentions, name="team_mentions"),
]
