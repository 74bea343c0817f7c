from django.urls import path

from . import (
    call_views,
    canned_views,
    desk_views,
    form_views,
    public_views,
    team_views,
    views,
)

# The channels' webhooks, one route per kind, so services.webhook_url can reverse
# "<kind>_webhook". Meta's (WhatsApp, Messenger, Instagram), VK's and the telephony ones:
# the admin pastes these URLs into the far end's console. Served without the browser's
# middleware (crm/web/lean.py, registered in apps.py): only views that need none go here.
WEBHOOK_PREFIX = "/integrations/"
webhook_patterns = [
    path(f"integrations/{kind}/<str:token>/", views.webhook, {"kind": kind},
         name=f"{kind}_webhook")
    for kind in ("telegram", "whatsapp", "messenger", "instagram", "vk", "twilio", "zadarma",
                 "pbx")
]  # fmt: skip

urlpatterns = [
    *webhook_patterns,
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
    # The desk (desk_views.py): the client panel, unsorted requests, snooze, reassign,
    # response times, and the desk's part of Settings → Channels.
    path("inbox/<int:pk>/client/", desk_views.client_pane, name="inbox_client"),
    path("inbox/<int:pk>/client/deal/", desk_views.client_deal, name="inbox_client_deal"),
    path("inbox/<int:pk>/client/task/", desk_views.client_task, name="inbox_client_task"),
    path("inbox/<int:pk>/client/find/", desk_views.client_find, name="inbox_client_find"),
    path("inbox/<int:pk>/accept/", desk_views.conversation_accept, name="inbox_accept"),
    path("inbox/<int:pk>/link/", desk_views.conversation_link, name="inbox_link"),
    path("inbox/<int:pk>/decline/", desk_views.conversation_decline, name="inbox_decline"),
    path("inbox/<int:pk>/snooze/", desk_views.conversation_snooze, name="inbox_snooze"),
    path("inbox/<int:pk>/assign/", desk_views.conversation_assign, name="inbox_assign"),
    path("inbox/response-times/", desk_views.response_times_page, name="inbox_response_times"),
    path("settings/channels/desk/", desk_views.desk_settings, name="channel_desk_settings"),
    path(
        "settings/channels/blocked/<int:pk>/unblock/",
        desk_views.sender_unblock,
        name="sender_unblock",
    ),
    path(
        "settings/channels/<int:pk>/auto-replies/",
        views.channel_autoreply,
        name="channel_autoreply",
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
    # The site: web forms (the JSON endpoint is the form channel's "webhook"), the form's
    # plain page, the site chat; and the form builder (admins).
    path("web/forms/<str:token>/", public_views.form_endpoint, name="form_webhook"),
    path("web/forms/<str:token>/page/", public_views.form_page, name="webform_page"),
    path("web/chat/<str:token>/", public_views.chat_hello, name="sitechat_webhook"),
    path("web/chat/<str:token>/messages/", public_views.chat_messages, name="sitechat_messages"),
    path("settings/forms/", form_views.form_list, name="webforms"),
    path("settings/forms/new/", form_views.form_edit, name="webform_new"),
    path("settings/forms/<int:pk>/", form_views.form_edit, name="webform_edit"),
    path("settings/forms/<int:pk>/delete/", form_views.form_delete, name="webform_delete"),
    path("inbox/calls/dial/", call_views.dial, name="call_dial"),
]
