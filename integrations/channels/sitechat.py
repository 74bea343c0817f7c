"""The chat on the workspace's site: a script the site pastes (static/js/crm-chat.js) opens a
bubble; a visitor's messages reach the inbox, the manager's answers wait in the thread
until the script asks for them (it polls: there is no far end to push to).

The channel's token is the widget's public key (`sitechat_webhook`, public_views.py). A
visitor is known by the random key inside a signed token the server issued (site.py), so
a visitor reads only their own conversation, whose chat id is `visitor:<key>`. Messages
come in as raw deliveries, ingested by the worker as every channel's are, with the
visitor's own message id as the idempotency key (a re-sent message is stored once).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import site
from . import Adapter, Inbound, Outgoing, register


class SiteChatAdapter(Adapter):
    kind = "sitechat"
    label = gettext_lazy("Site chat")
    webhook = False
    public_fields = ("title", "greeting", "allowed_origins")

    def clean_settings(self, raw: dict) -> tuple[dict, dict]:
        title = str(raw.get("title") or "").strip()[:80]
        greeting = str(raw.get("greeting") or "").strip()[:300]
        return {
            "title": title or _("Chat with us"),
            "greeting": greeting,
            "allowed_origins": site.clean_origins(raw.get("allowed_origins")),
        }, {}

    def form_fields(self) -> dict:
        return {
            "title": forms.CharField(
                label=_("Title of the chat window"), max_length=80, required=False
            ),
            "greeting": forms.CharField(
                label=_("Greeting"),
                max_length=300,
                required=False,
                help_text=_("The first line a visitor reads when the chat opens."),
            ),
            "allowed_origins": forms.CharField(
                label=_("Sites allowed"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("One site per line, as https://example.com; empty: any site."),
            ),
        }

    def connect(self, channel, webhook_url: str) -> None:
        return None  # nothing to register: the script calls us

    def verify(self, channel, request) -> bool:
        return True  # the public endpoints check the visitor's signed token themselves

    def presented(self, request) -> bool:
        return True

    def delivery_id(self, payload: dict) -> str | None:
        found = payload.get("id") if isinstance(payload, dict) else None
        return f"chat:{found}" if isinstance(found, str) and found else None

    def normalise(self, payload: dict) -> Inbound | None:
        visitor, text = payload.get("visitor"), payload.get("text")
        if not isinstance(visitor, str) or not visitor or not isinstance(text, str):
            raise ValueError("a chat message without a visitor or a text")
        try:
            sent_at = datetime.fromisoformat(payload["sent_at"])
        except (KeyError, TypeError, ValueError):
            sent_at = datetime.now(tz=UTC)
        email, phone = payload.get("email") or "", payload.get("phone") or ""
        name = str(payload.get("name") or "").strip() or email or phone
        return Inbound(
            external_id=f"chat:{payload['id']}",
            chat_id=f"visitor:{visitor}",
            text=text[:10000],
            sent_at=sent_at,
            sender_name=(name or _("Visitor %(key)s") % {"key": visitor[:6]})[:200],
            emails=(email,) if email else (),
            phones=(phone,) if phone else (),
            kind="chat",
            meta={"visitor": visitor, "page": payload.get("page") or ""},
        )

    def send(self, channel, outgoing: Outgoing) -> str:
        # Nothing to call: the answer is stored in the thread and the visitor's script
        # fetches it. The id only has to be unique within the channel.
        return f"out:{uuid.uuid4().hex}"


register(SiteChatAdapter())
