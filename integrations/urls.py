from django.urls import path

from . import form_views, public_views, views

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
]
