"""VK communities, through the Callback API and the VK API's `messages.send`.

The admin adds a callback server in the community's settings with the channel's webhook
URL and its secret key (generated here unless the admin typed one; shown on the channel's
row), and copies VK's confirmation string into the channel. VK then posts
`{"type": "confirmation"}`, answered with that string; every other delivery is answered
with the text `ok` (anything else makes VK send it again). Each carries the secret key in
its JSON body (`secret`), so `verify` reads the body: without it 401, wrong 403, and
nothing is stored either way. Deliveries are deduplicated on VK's `event_id`.

Replies go out with `messages.send` (API version `API_VERSION`), with a `random_id` VK
uses to drop a repeated send: derived from the thread's state and the text, so a reply
sent twice by a double click goes out once, while the same text sent again later is new.
Files are uploaded as documents (`docs.getMessagesUploadServer`, the upload, `docs.save`)
and attached. The API's base URL is a channel setting (default
settings.VK_API_BASE_URL), so tests point a channel at a stand-in on loopback.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from crm.web import params

from . import Adapter, ChannelError, File, Inbound, Outgoing, download, register

API_VERSION = "5.199"
SECRET_SHAPE = re.compile(r"[A-Za-z0-9]{1,50}")  # VK's rule for a callback secret key
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_\-.]{16,512}")
MAX_TEXT = 4096


def _body(request) -> dict:
    try:
        payload = params.json_loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


class VK(Adapter):
    kind = "vk"
    label = "VK"
    # The secret key is pasted into VK's settings: kept encrypted, shown in full to admins.
    secret_fields = ("access_token", "secret")
    pasted_fields = ("secret",)
    pasted_webhook = True
    public_fields = ("group_id", "confirmation_code", "api_base_url")

    def clean_settings(self, raw: dict) -> tuple[dict, dict]:
        token = str(raw.get("access_token") or "").strip()
        if not TOKEN_SHAPE.fullmatch(token):
            raise ValueError(_("Enter the community's access token (with messages allowed)."))
        group = str(raw.get("group_id") or "").strip().lstrip("-")
        if not group.isdigit() or len(group) > 20:
            raise ValueError(_("The community ID is a number."))
        code = str(raw.get("confirmation_code") or "").strip()
        if not code or len(code) > 64 or any(c.isspace() for c in code):
            raise ValueError(_("Enter the confirmation string VK shows for the callback server."))
        secret = str(raw.get("secret") or "").strip()
        if secret and not SECRET_SHAPE.fullmatch(secret):
            raise ValueError(_("The secret key is up to 50 Latin letters and digits."))
        base = str(raw.get("api_base_url") or "").strip().rstrip("/")
        base = base or settings.VK_API_BASE_URL
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(_("The VK API address must be an http(s) URL."))
        return {"group_id": group, "confirmation_code": code, "api_base_url": base}, {
            "access_token": token,
            "secret": secret or secrets.token_hex(16),
        }

    def form_fields(self) -> dict:
        return {
            "access_token": forms.CharField(
                label=_("Access token"),
                max_length=512,
                help_text=_("The community's key with access to messages. It is stored encrypted."),
                widget=forms.PasswordInput(render_value=False),
            ),
            "group_id": forms.CharField(label=_("Community ID"), max_length=20),
            "confirmation_code": forms.CharField(
                label=_("Confirmation string"),
                max_length=64,
                help_text=_("VK shows it beside the callback server's address."),
            ),
            "secret": forms.CharField(
                label=_("Secret key"),
                max_length=50,
                required=False,
                help_text=_("Leave empty to have one made; then paste it into VK's settings."),
            ),
            "api_base_url": forms.URLField(
                label=_("VK API address"),
                required=False,
                help_text=_("Leave empty for VK's own; a local stand-in for trials."),
            ),
        }

    def _call(self, channel, method: str, params: dict) -> object:
        base = channel.settings.get("api_base_url") or settings.VK_API_BASE_URL
        body = {**params, "access_token": channel.secrets["access_token"], "v": API_VERSION}
        try:
            # A POST: the token stays out of the URL (and of any log of it).
            response = requests.post(
                f"{base}/{method}", data=body, timeout=settings.INTEGRATIONS_HTTP_TIMEOUT
            )
            answer = response.json()
        except requests.RequestException as exc:
            raise ChannelError(
                _("%(service)s could not be reached (%(error)s).")
                % {"service": self.label, "error": type(exc).__name__}
            ) from None
        except ValueError:
            raise ChannelError(
                _("%(service)s answered %(status)s, not JSON.")
                % {"service": self.label, "status": response.status_code}
            ) from None
        if not isinstance(answer, dict) or "response" not in answer:
            error = answer.get("error") if isinstance(answer, dict) else None
            reason = error.get("error_msg") if isinstance(error, dict) else ""
            raise ChannelError(
                _("%(service)s refused %(action)s: %(reason)s")
                % {
                    "service": self.label,
                    "action": method,
                    "reason": reason or response.status_code,
                }
            )
        return answer["response"]

    def connect(self, channel, webhook_url: str) -> None:
        # The callback server is VK's setting; here the token is checked against the group.
        self._call(channel, "groups.getById", {"group_id": channel.settings["group_id"]})

    # --- the webhook -----------------------------------------------------------------------

    def presented(self, request) -> bool:
        return bool(_body(request).get("secret"))

    def verify(self, channel, request) -> bool:
        given = _body(request).get("secret")
        expected = channel.secrets.get("secret", "")
        if not isinstance(given, str) or not given or not expected:
            return False
        return hmac.compare_digest(given.encode(), expected.encode())

    def parse(self, request):
        # The secret key has done its work (verify): it is not kept in the stored payload,
        # where it would lie unencrypted.
        payload = super().parse(request)
        if isinstance(payload, dict):
            payload.pop("secret", None)
        return payload

    def answer(self, channel, payload) -> HttpResponse | None:
        if isinstance(payload, dict) and payload.get("type") == "confirmation":
            if str(payload.get("group_id")) != channel.settings.get("group_id"):
                return HttpResponse(status=403)
            return HttpResponse(channel.settings["confirmation_code"], content_type="text/plain")
        return None

    def acknowledge(self, channel, payload) -> HttpResponse:
        return HttpResponse("ok", content_type="text/plain")

    def delivery_id(self, payload) -> str | None:
        event_id = payload.get("event_id") if isinstance(payload, dict) else None
        if isinstance(event_id, str) and 0 < len(event_id) <= 90:
            return event_id
        return None

    def normalise(self, payload) -> Inbound | None:
        if payload.get("type") != "message_new":
            return None  # replies, edits, typing, joins: nothing for the inbox
        event = payload.get("object")
        # Since API 5.103 the message is inside the event's object, with the client's info.
        message = event.get("message") if isinstance(event, dict) else None
        if not isinstance(message, dict):
            raise ValueError("message_new without object.message")
        peer, number = message.get("peer_id"), message.get("conversation_message_id")
        if not isinstance(peer, int) or not isinstance(number, int):
            raise ValueError("a message without peer_id or conversation_message_id")
        date = message.get("date")
        return Inbound(
            # Its number within the dialogue: unique with the peer, as VK numbers them.
            external_id=f"{peer}:{number}",
            chat_id=str(peer),
            text=str(message.get("text") or "")[:10000],
            sent_at=datetime.fromtimestamp(date, tz=UTC)
            if isinstance(date, int)
            else datetime.now(tz=UTC),
            files=self._files(message.get("attachments") or []),
            meta={"vk_user": message.get("from_id")} if message.get("from_id") else {},
        )

    def sender_name(self, channel, inbound: Inbound) -> str:
        """The writer's name (the delivery gives only their id)."""
        user = inbound.meta.get("vk_user")
        if not isinstance(user, int) or user <= 0:
            return ""  # a community or a chat: no person to name
        people = self._call(channel, "users.get", {"user_ids": user})
        person = people[0] if isinstance(people, list) and people else {}
        parts = (
            [person.get(k) for k in ("first_name", "last_name")] if isinstance(person, dict) else []
        )
        return " ".join(str(p) for p in parts if p)

    def _files(self, attachments) -> tuple[File, ...]:
        files = []
        for attachment in attachments:
            if not isinstance(attachment, dict):
                raise ValueError("an attachment is not an object")
            kind = attachment.get("type")
            item = attachment.get(kind) if isinstance(attachment.get(kind), dict) else {}
            if kind == "photo":
                sizes = [s for s in item.get("sizes") or [] if isinstance(s, dict) and s.get("url")]
                if sizes:
                    largest = max(
                        sizes, key=lambda s: (s.get("width") or 0) * (s.get("height") or 0)
                    )
                    files.append(File("photo.jpg", "image/jpeg", ref=largest["url"]))
            elif kind == "doc" and item.get("url"):
                name = str(item.get("title") or "document")
                files.append(File(name=name, ref=str(item["url"])))
            elif kind == "audio_message" and item.get("link_ogg"):
                files.append(File(name="voice.ogg", content_type="audio/ogg", ref=item["link_ogg"]))
        return tuple(files)

    def fetch_file(self, channel, ref: str) -> bytes:
        parts = urlsplit(ref)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise self._failure(_("%(service)s gave no address for the file."))
        return download.fetch(ref, service=self.label)

    # --- sending ---------------------------------------------------------------------------

    @staticmethod
    def random_id(outgoing: Outgoing) -> int:
        """The same for one reply sent twice against the same thread (a double click, a
        retried request), different once anything was added to it; a signed 32-bit int."""
        conversation = outgoing.conversation
        last = 0
        if conversation is not None and getattr(conversation, "pk", None):
            last = conversation.messages.order_by("-id").values_list("id", flat=True).first() or 0
        names = ",".join(f.name for f in outgoing.files)
        key = f"{outgoing.chat_id}:{last}:{names}:{outgoing.text}".encode()
        return int.from_bytes(hashlib.sha256(key).digest()[:4], "big") & 0x7FFFFFFF

    def _upload(self, channel, peer: str, file: File) -> str:
        server = self._call(
            channel, "docs.getMessagesUploadServer", {"type": "doc", "peer_id": peer}
        )
        url = server.get("upload_url") if isinstance(server, dict) else None
        if not url:
            raise self._failure(_("%(service)s did not take the file."))
        try:
            uploaded = requests.post(
                url,
                files={"file": (file.name, file.data, file.content_type)},
                timeout=settings.INTEGRATIONS_HTTP_TIMEOUT,
            ).json()
        except (requests.RequestException, ValueError):
            raise self._failure(_("%(service)s did not take the file.")) from None
        if not isinstance(uploaded, dict) or not uploaded.get("file"):
            raise self._failure(_("%(service)s did not take the file."))
        saved = self._call(channel, "docs.save", {"file": uploaded["file"], "title": file.name})
        doc = saved.get("doc") if isinstance(saved, dict) else None
        if not isinstance(doc, dict) or "id" not in doc or "owner_id" not in doc:
            raise self._failure(_("%(service)s did not take the file."))
        return f"doc{doc['owner_id']}_{doc['id']}"

    def send(self, channel, outgoing: Outgoing) -> str:
        peer = outgoing.chat_id
        params = {"peer_id": peer, "random_id": self.random_id(outgoing)}
        if outgoing.text:
            params["message"] = outgoing.text[:MAX_TEXT]
        if outgoing.files:
            params["attachment"] = ",".join(self._upload(channel, peer, f) for f in outgoing.files)
        sent = self._call(channel, "messages.send", params)
        # With peer_id, VK answers the message's id; its number within the dialogue (what an
        # incoming one is keyed by) comes with peer_ids, not needed for a reply.
        if isinstance(sent, list):
            first = sent[0] if sent else None
            sent = first.get("message_id") if isinstance(first, dict) else None
        if not isinstance(sent, int):
            raise self._failure(_("%(service)s did not say which message it sent."))
        return f"sent:{sent}"


register(VK())
