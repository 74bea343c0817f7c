"""Meta's messaging channels, through Meta's webhooks and the Graph API: WhatsApp Cloud API
(`whatsapp`), a Facebook Page's Messenger (`messenger`) and an Instagram professional
account linked to a Page (`instagram`).

What they share (`MetaAdapter`):
- The webhook is configured by the admin in the Meta app's console, with the channel's
  webhook URL and its verify token (generated here, shown to admins on the channel's row).
  Meta checks both with a GET (`hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`),
  answered with the challenge as text when the token matches, 403 otherwise.
- Every delivery is signed: `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with
  the app secret>`, checked with `hmac.compare_digest` before anything is stored.
- A delivery batches entries, each with several messages and status reports. Meta has no
  delivery id: a retried webhook re-sends the same body, so the delivery's id is the
  SHA-256 of its canonical JSON (keys sorted), and each message is stored once under its
  own id (`wamid.…`, `mid.…`) whichever delivery brings it, however Meta batched it.
- The Graph API's base URL (with its version) is a channel setting defaulting to
  settings.META_GRAPH_API_BASE_URL, so tests point a channel at a stand-in on loopback; the
  access token goes in the Authorization header, never in a URL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import mimetypes
import re
import secrets
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import requests
from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from . import Adapter, ChannelError, File, Inbound, Outgoing, StatusUpdate, download, register

SIGNATURE_HEADER = "X-Hub-Signature-256"
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_\-.~|:]{8,512}")
VERIFY_SHAPE = re.compile(r"[A-Za-z0-9_\-]{8,100}")
MAX_TEXT = 10000


def _when(value) -> datetime:
    """A Unix time in seconds (WhatsApp, as a string) or milliseconds (Messenger)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return datetime.now(tz=UTC)
    if number > 10**11:  # milliseconds
        number //= 1000
    return datetime.fromtimestamp(number, tz=UTC)


def _http_url(value) -> bool:
    parts = urlsplit(str(value or ""))
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class MetaAdapter(Adapter):
    # The admin copies the verify token into Meta's console: kept encrypted, shown in full
    # to admins (`pasted_fields`), with the webhook URL (`pasted_webhook`).
    secret_fields = ("app_secret", "access_token", "verify_token")
    pasted_fields = ("verify_token",)
    pasted_webhook = True
    id_field = ""  # the setting naming the account at Meta (a phone number id, a page id)
    webhook_object = ""  # the "object" of the deliveries this kind receives

    # --- settings ------------------------------------------------------------------------

    def id_label(self) -> str:
        raise NotImplementedError

    def clean_settings(self, raw: dict) -> tuple[dict, dict]:
        secret = str(raw.get("app_secret") or "").strip()
        if not TOKEN_SHAPE.fullmatch(secret):
            raise ValueError(_("Enter the app secret from the Meta app's basic settings."))
        token = str(raw.get("access_token") or "").strip()
        if not TOKEN_SHAPE.fullmatch(token):
            raise ValueError(_("Enter the access token Meta gave you."))
        account = str(raw.get(self.id_field) or "").strip()
        if not account.isdigit() or len(account) > 40:
            raise ValueError(_("%(field)s is a number.") % {"field": self.id_label()})
        base = str(raw.get("graph_api_base_url") or "").strip().rstrip("/")
        base = base or settings.META_GRAPH_API_BASE_URL
        if not _http_url(base):
            raise ValueError(_("The Graph API address must be an http(s) URL."))
        verify = str(raw.get("verify_token") or "").strip()
        if verify and not VERIFY_SHAPE.fullmatch(verify):
            raise ValueError(
                _("The verify token is 8 to 100 letters, digits, dashes or underscores.")
            )
        # Kept when the admin changes other settings: Meta's console has it already.
        verify = verify or secrets.token_urlsafe(24)
        return {self.id_field: account, "graph_api_base_url": base}, {
            "app_secret": secret,
            "access_token": token,
            "verify_token": verify,
        }

    def form_fields(self) -> dict:
        return {
            "access_token": forms.CharField(
                label=_("Access token"),
                max_length=512,
                help_text=_("A permanent (system user) token. It is stored encrypted."),
                widget=forms.PasswordInput(render_value=False),
            ),
            "app_secret": forms.CharField(
                label=_("App secret"),
                max_length=512,
                help_text=_("From the Meta app's basic settings: it signs every delivery."),
                widget=forms.PasswordInput(render_value=False),
            ),
            self.id_field: forms.CharField(label=self.id_label(), max_length=40),
            "graph_api_base_url": forms.URLField(
                label=_("Graph API address"),
                required=False,
                help_text=_("Leave empty for Meta's own; a local stand-in for trials."),
            ),
        }

    # --- calls to the Graph API ------------------------------------------------------------

    def _base(self, channel) -> str:
        return channel.settings.get("graph_api_base_url") or settings.META_GRAPH_API_BASE_URL

    def _auth(self, channel) -> dict:
        return {"Authorization": f"Bearer {channel.secrets['access_token']}"}

    def _graph(self, channel, method: str, path: str, what: str, **kwargs) -> dict:
        url = f"{self._base(channel)}/{path}"
        try:
            response = requests.request(
                method,
                url,
                headers=self._auth(channel),
                timeout=settings.INTEGRATIONS_HTTP_TIMEOUT,
                **kwargs,
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
        error = answer.get("error") if isinstance(answer, dict) else None
        if response.status_code >= 400 or not isinstance(answer, dict) or error:
            reason = error.get("message") if isinstance(error, dict) else ""
            raise ChannelError(
                _("%(service)s refused %(action)s: %(reason)s")
                % {"service": self.label, "action": what, "reason": reason or response.status_code}
            )
        return answer

    # --- the webhook -----------------------------------------------------------------------

    def handshake(self, channel, request) -> HttpResponse:
        given = request.GET.get("hub.verify_token", "")
        expected = channel.secrets.get("verify_token", "")
        if (
            request.GET.get("hub.mode") == "subscribe"
            and given
            and expected
            and hmac.compare_digest(given.encode(), expected.encode())
        ):
            response = HttpResponse(
                request.GET.get("hub.challenge", "")[:200], content_type="text/plain"
            )
            response["X-Content-Type-Options"] = "nosniff"
            return response
        return HttpResponse(status=403)

    def presented(self, request) -> bool:
        return bool(request.headers.get(SIGNATURE_HEADER))

    def verify(self, channel, request) -> bool:
        given = request.headers.get(SIGNATURE_HEADER, "")
        secret = channel.secrets.get("app_secret", "")
        if not given.startswith("sha256=") or not secret:
            return False
        digest = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(given.lower().encode(), f"sha256={digest}".encode())

    def delivery_id(self, payload) -> str | None:
        if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
            return None
        # Meta re-sends a failed webhook's very body: its canonical form names it.
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    def _entries(self, payload) -> list[dict]:
        if payload.get("object") != self.webhook_object:
            raise ValueError(
                f"a delivery for {payload.get('object')!r}, not {self.webhook_object!r}"
            )
        entries = payload["entry"]
        if not all(isinstance(e, dict) for e in entries):
            raise ValueError("an entry is not an object")
        return entries

    def normalise(self, payload) -> Inbound | None:
        found = self.inbounds(payload)
        return found[0] if found else None


# --- WhatsApp Cloud API ------------------------------------------------------------------

WA_MEDIA = ("image", "video", "audio", "document", "sticker")
WA_IMAGES = ("image/jpeg", "image/png")
WA_VIDEOS = ("video/mp4", "video/3gpp")
WA_AUDIO = ("audio/aac", "audio/mp4", "audio/mpeg", "audio/amr", "audio/ogg")
WA_CAPTION = 1024


def _bare_type(content_type: str) -> str:
    return (content_type or "").split(";")[0].strip().lower()


class WhatsApp(MetaAdapter):
    kind = "whatsapp"
    label = "WhatsApp"
    public_fields = ("phone_number_id", "graph_api_base_url")
    id_field = "phone_number_id"
    webhook_object = "whatsapp_business_account"

    def id_label(self) -> str:
        return _("Phone number ID")

    def connect(self, channel, webhook_url: str) -> None:
        # Meta's console holds the webhook; here the token and the number are checked.
        number = quote(channel.settings["phone_number_id"], safe="")
        self._graph(
            channel,
            "GET",
            number,
            _("the phone number"),
            params={"fields": "display_phone_number,verified_name"},
        )

    def _values(self, payload) -> list[dict]:
        values = []
        for entry in self._entries(payload):
            for change in entry.get("changes") or []:
                if not isinstance(change, dict) or change.get("field") != "messages":
                    continue  # account updates, templates' reviews: nothing for the inbox
                if not isinstance(change.get("value"), dict):
                    raise ValueError("a change without a value")
                values.append(change["value"])
        return values

    def inbounds(self, payload) -> list[Inbound]:
        found = []
        for value in self._values(payload):
            names = {
                str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
                for c in value.get("contacts") or []
                if isinstance(c, dict)
            }
            for message in value.get("messages") or []:
                found.append(self._inbound(message, names))
        return found

    def _inbound(self, message: dict, names: dict) -> Inbound:
        if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
            raise ValueError("a WhatsApp message without an id or a sender")
        sender, kind = str(message["from"]), str(message.get("type") or "")
        body = message.get(kind) if isinstance(message.get(kind), dict) else {}
        files, meta = (), {}
        if kind == "text":
            text = body.get("body") or ""
        elif kind in WA_MEDIA:
            if not body.get("id"):
                raise ValueError(f"a WhatsApp {kind} without a media id")
            content_type = _bare_type(body.get("mime_type")) or "application/octet-stream"
            name = body.get("filename") or kind
            files = (File(name=str(name), content_type=content_type, ref=str(body["id"])),)
            text = body.get("caption") or ""
        elif kind == "location":
            place = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
            text = f"{place} ({body.get('latitude')}, {body.get('longitude')})".strip()
        elif kind == "reaction":
            text = body.get("emoji") or ""
        elif kind == "button":
            text = body.get("text") or ""
        elif kind == "interactive":
            reply = body.get("button_reply") or body.get("list_reply") or {}
            text = reply.get("title") or ""
        else:  # contacts, orders, unsupported: kept, with its type, not lost
            text = ""
            meta = {"whatsapp_type": kind}
        return Inbound(
            external_id=str(message["id"])[:200],
            chat_id=sender[:100],
            text=str(text)[:MAX_TEXT],
            sent_at=_when(message.get("timestamp")),
            sender_name=names.get(sender, "")[:200],
            phones=(f"+{sender.lstrip('+')}",),
            files=files,
            meta=meta,
        )

    def statuses(self, payload) -> list[StatusUpdate]:
        found = []
        for value in self._values(payload):
            for report in value.get("statuses") or []:
                if not isinstance(report, dict) or not report.get("id"):
                    continue
                status = report.get("status")
                if status not in ("sent", "delivered", "read", "failed"):
                    continue
                errors = [e for e in report.get("errors") or [] if isinstance(e, dict)]
                reason = "; ".join(
                    str(e.get("title") or e.get("message") or e.get("code")) for e in errors
                )
                found.append(StatusUpdate(str(report["id"]), status, reason))
        return found

    def fetch_file(self, channel, ref: str) -> bytes:
        info = self._graph(channel, "GET", quote(ref, safe=""), _("the file"))
        if not _http_url(info.get("url")):
            raise self._failure(_("%(service)s gave no address for the file."))
        # The media URL needs the token too (it is Meta's own, named by the Graph API).
        return download.fetch(
            info["url"], service=self.label, headers=self._auth(channel), name=ref
        )

    @staticmethod
    def _media_kind(content_type: str) -> str:
        bare = _bare_type(content_type)
        if bare in WA_IMAGES:
            return "image"
        if bare in WA_VIDEOS:
            return "video"
        if bare in WA_AUDIO:
            return "audio"
        return "document"

    def _send(self, channel, to: str, content: dict) -> str:
        number = quote(channel.settings["phone_number_id"], safe="")
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                **content}  # fmt: skip
        answer = self._graph(channel, "POST", f"{number}/messages", _("the message"), json=body)
        sent = answer.get("messages")
        first = sent[0] if isinstance(sent, list) and sent else None
        if not isinstance(first, dict) or not first.get("id"):
            raise self._failure(_("%(service)s did not say which message it sent."))
        return str(first["id"])

    def _upload(self, channel, file: File) -> str:
        number = quote(channel.settings["phone_number_id"], safe="")
        content_type = _bare_type(file.content_type) or "application/octet-stream"
        answer = self._graph(
            channel,
            "POST",
            f"{number}/media",
            _("the file"),
            data={"messaging_product": "whatsapp", "type": content_type},
            files={"file": (file.name, file.data, content_type)},
        )
        if not answer.get("id"):
            raise self._failure(_("%(service)s did not take the file."))
        return str(answer["id"])

    def send(self, channel, outgoing: Outgoing) -> str:
        """Text as a text message; each file uploaded (POST /{number}/media) and sent by
        its media id, the text as the first file's caption when it can carry one. The
        external id is the first message's: its status reports are the reply's."""
        to, text, files = outgoing.chat_id, outgoing.text, list(outgoing.files)
        ids = []
        captioned = files and self._media_kind(files[0].content_type) != "audio"
        if text and not (captioned and len(text) <= WA_CAPTION):
            ids.append(self._send(channel, to, {"type": "text", "text": {"body": text}}))
            text = ""
        for file in files:
            kind = self._media_kind(file.content_type)
            media = {"id": self._upload(channel, file)}
            if text and kind != "audio":
                media["caption"], text = text, ""
            if kind == "document":
                media["filename"] = file.name
            ids.append(self._send(channel, to, {"type": kind, kind: media}))
        return ids[0]


# --- Messenger and Instagram -------------------------------------------------------------

MESSENGER_FILES = {"image": "image", "video": "video", "audio": "audio", "file": "file",
                   "sticker": "image"}  # fmt: skip
DEFAULT_TYPES = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/mpeg"}


class Messenger(MetaAdapter):
    kind = "messenger"
    label = "Facebook Messenger"
    public_fields = ("page_id", "graph_api_base_url")
    id_field = "page_id"
    webhook_object = "page"
    # What the Page's app subscription asks Meta to send.
    subscribed_fields = "messages,message_deliveries,message_reads,messaging_postbacks"

    def id_label(self) -> str:
        return _("Page ID")

    def connect(self, channel, webhook_url: str) -> None:
        # Subscribes the Page to the app's webhook (the URL itself is in Meta's console).
        page = quote(channel.settings["page_id"], safe="")
        answer = self._graph(
            channel,
            "POST",
            f"{page}/subscribed_apps",
            _("the subscription"),
            data={"subscribed_fields": self.subscribed_fields},
        )
        if answer.get("success") is not True:
            raise self._failure(_("%(service)s did not subscribe the page."))

    profile_fields = "first_name,last_name"

    def sender_name(self, channel, inbound: Inbound) -> str:
        """The sender's name from their profile (the webhook gives only their id)."""
        person = self._graph(
            channel,
            "GET",
            quote(inbound.chat_id, safe=""),
            _("the profile"),
            params={"fields": self.profile_fields},
        )
        parts = [person.get(k) for k in ("first_name", "last_name", "name")]
        name = " ".join(str(p) for p in parts if p)
        return name or str(person.get("username") or "")

    def _events(self, payload) -> list[dict]:
        events = []
        for entry in self._entries(payload):
            for event in entry.get("messaging") or []:
                if not isinstance(event, dict):
                    raise ValueError("a messaging event is not an object")
                events.append(event)
        return events

    def inbounds(self, payload) -> list[Inbound]:
        found = []
        for event in self._events(payload):
            message = event.get("message")
            postback = event.get("postback")
            if isinstance(message, dict) and message.get("is_echo"):
                continue  # our own replies (and the Page's), echoed back
            if not isinstance(message, dict) and not (
                isinstance(postback, dict) and postback.get("mid")
            ):
                continue  # deliveries, reads, reactions: statuses() reads what it needs
            sender = (event.get("sender") or {}).get("id")
            body = message if isinstance(message, dict) else postback
            if not sender or not body.get("mid"):
                raise ValueError("a message without a sender or an id")
            text = body.get("text") or body.get("title") or ""
            found.append(
                Inbound(
                    external_id=str(body["mid"])[:200],
                    chat_id=str(sender)[:100],
                    text=str(text)[:MAX_TEXT],
                    sent_at=_when(event.get("timestamp")),
                    files=self._files(body.get("attachments") or []),
                )
            )
        return found

    def _files(self, attachments) -> tuple[File, ...]:
        files = []
        for attachment in attachments:
            if not isinstance(attachment, dict):
                raise ValueError("an attachment is not an object")
            kind = attachment.get("type")
            url = (attachment.get("payload") or {}).get("url")
            if kind not in MESSENGER_FILES or not _http_url(url):
                continue  # locations, templates, shares: their text is the message's
            name = urlsplit(url).path.rsplit("/", 1)[-1] or kind
            guessed = mimetypes.guess_type(name)[0]
            content_type = guessed or DEFAULT_TYPES.get(MESSENGER_FILES[kind], "")
            files.append(File(name=name[:120], content_type=content_type or
                              "application/octet-stream", ref=url))  # fmt: skip
        return tuple(files)

    def statuses(self, payload) -> list[StatusUpdate]:
        found = []
        for event in self._events(payload):
            delivery = event.get("delivery")
            if isinstance(delivery, dict):
                found += [StatusUpdate(str(m), "delivered") for m in delivery.get("mids") or []]
            read = event.get("read")
            # Instagram names the message read; Messenger gives only a watermark (a time),
            # which names no message: it is not applied.
            if isinstance(read, dict) and read.get("mid"):
                found.append(StatusUpdate(str(read["mid"]), "read"))
        return found

    def fetch_file(self, channel, ref: str) -> bytes:
        # A signed link to Meta's CDN: it needs no token, and is given none.
        if not _http_url(ref):
            raise self._failure(_("%(service)s gave no address for the file."))
        return download.fetch(ref, service=self.label)

    def _send(self, channel, **fields) -> str:
        page = quote(channel.settings["page_id"], safe="")
        answer = self._graph(channel, "POST", f"{page}/messages", _("the message"), **fields)
        if not answer.get("message_id"):
            raise self._failure(_("%(service)s did not say which message it sent."))
        return str(answer["message_id"])

    def _send_file(self, channel, recipient: dict, file: File) -> str:
        bare = _bare_type(file.content_type)
        kind = next((k for k in ("image", "video", "audio") if bare.startswith(f"{k}/")), "file")
        message = {"attachment": {"type": kind, "payload": {"is_reusable": False}}}
        return self._send(
            channel,
            data={"recipient": json.dumps(recipient), "messaging_type": "RESPONSE",
                  "message": json.dumps(message)},
            files={"filedata": (file.name, file.data, bare or "application/octet-stream")},
        )  # fmt: skip

    def send(self, channel, outgoing: Outgoing) -> str:
        """The text, then each file uploaded with the message (`filedata`); the first
        message's id is the reply's."""
        recipient = {"id": outgoing.chat_id}
        ids = []
        if outgoing.text:
            body = {"recipient": recipient, "messaging_type": "RESPONSE",
                    "message": {"text": outgoing.text}}  # fmt: skip
            ids.append(self._send(channel, json=body))
        ids += [self._send_file(channel, recipient, f) for f in outgoing.files]
        return ids[0]


class Instagram(Messenger):
    kind = "instagram"
    label = "Instagram"
    webhook_object = "instagram"
    subscribed_fields = "messages,message_reads,messaging_postbacks"
    profile_fields = "name,username"

    def id_label(self) -> str:
        return _("ID of the Facebook Page linked to the Instagram account")

    def send(self, channel, outgoing: Outgoing) -> str:
        if outgoing.files:
            # Instagram takes a file only as a public link, and the inbox's files are not
            # public: refused with a reason rather than sent without them.
            raise ChannelError(_("Instagram takes files only as public links: send the text "
                                 "alone, or share the file another way."))  # fmt: skip
        return super().send(channel, outgoing)


register(WhatsApp())
register(Messenger())
register(Instagram())
