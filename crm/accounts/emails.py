"""Outgoing mail about accounts, rendered in the recipient's language."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


def send_invitation(invitation, token: str) -> None:
    link = settings.SITE_URL.rstrip("/") + reverse("invitation_accept", args=[token])
    with translation.override(invitation.tenant.language):
        context = {"invitation": invitation, "link": link, "tenant": invitation.tenant}
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])
