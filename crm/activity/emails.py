"""Outgoing mail about notifications, rendered in the recipient's language."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


def send_notification(notification) -> None:
    user, tenant = notification.recipient, notification.tenant
    link = settings.SITE_URL.rstrip("/") + notification.url if notification.url else ""
    with translation.override(user.language or tenant.language):
        context = {"notification": notification, "link": link, "tenant": tenant, "user": user}
        subject = render_to_string("activity/email/notification_subject.txt", context).strip()
        body = render_to_string("activity/email/notification.txt", context)
    send_mail(" ".join(subject.split()), body, None, [user.email])
