"""Telegram bots, through the Bot API's webhooks.

`setWebhook` gets the channel's webhook URL and a random `secret_token`; Telegram sends it
back in `X-Telegram-Bot-Api-Secret-Token` with every update, which is how a genuine update
is told from a forged one. Updates are deduplicated on `update_id`; a message's id is only
unique within its chat, so its external id is `<chat id>:<message id>`.

Files: an incoming photo, document, voice note, video or audio is a `File` named by its
`file_id`, downloaded in the worker (`getFile`, then `<base>/file/bot<token>/<file_path>`);
a reply's files go out with `sendPhoto` (images) or `sendDocument` (anything else), as
multipart uploads, the text as the first one's caption when it fits.

The Bot API's base URL is a channel setting (default: settings.TELEGRAM_API_BASE_URL), so
tests and local trials point the channel at a stand-in server on loopback.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

from . import Adapter, ChannelError, File, Inbound, Outgoing, download, register

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)
CAPTION = 1024  # the longest caption a photo or a document may carry
PHOTOS = ("image/jpeg", "image/png", "image/gif", "image/webp")


def _files(message: dict) -> tuple[File, ...]:
    """The files a message carries, by reference (their file_id)."""
    found = []
    photo = message.get("photo")
    if isinstance(photo, list) and photo:
        # Telegram sends every size it made: the largest is the last.
        largest = photo[-1] if isinstance(photo[-1], dict) else {}
        if largest.get("file_id"):
            found.append(File("photo.jpg", "image/jpeg", ref=str(largest["file_id"])))
    for key, name, content_type in (
        ("document", "document", "application/octet-stream"),
        ("voice", "voice.ogg", "audio/ogg"),
        ("video", "video.mp4", "video/mp4"),
        ("audio", "audio.mp3", "audio/mpeg"),
        ("video_note", "video_note.mp4", "video/mp4"),
    ):
        item = message.get(key)
        if isinstance(item, dict) and item.get("file_id"):
            found.append(
                File(
                    name=str(item.get("file_name") or name),
                    content_type=str(item.get("mime_type") or content_type),
                    ref=str(item["file_id"]),
                )
            )
    return tuple(found)


class Telegram(Adapter):
    kind = "telegram"
    label = "Telegram"
    secret_fields = ("bot_token", "secret_token")
    public_fields = ("api_base_url",)

    def clean_settings(self, raw: dict) -> tuple[dict, dict]:
        token = str(raw.get("bot_token") or "").strip()
        if not token or len(token) > 200 or any(c.isspace() for c in token):
            raise ValueError(_("Enter the bot token that @BotFather gave you."))
        base = str(raw.get("api_base_url") or "").strip().rstrip("/")
        base = base or settings.TELEGRAM_API_BASE_URL
        if urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).netloc:
            raise ValueError(_("The Bot API address must be an http(s) URL."))
        return {"api_base_url": base}, {
            "bot_token": token,
            # Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -.
            "secret_token": secrets.token_urlsafe(32),
        }

    def form_fields(self) -> dict:
        return {
            "bot_token": forms.CharField(
                label=_("Bot token"),
                max_length=200,
                help_text=_("The token @BotFather gave you. It is stored encrypted."),
                widget=forms.PasswordInput(render_value=False),
            ),
            "api_base_url": forms.URLField(
                label=_("Bot API address"),
                required=False,
                help_text=_("Leave empty for Telegram's own; a local stand-in for trials."),
            ),
        }

    def _base(self, channel) -> str:
        return channel.settings.get("api_base_url") or settings.TELEGRAM_API_BASE_URL

    def _call(self, channel, method: str, body: dict, files: dict | None = None) -> dict:
        url = f"{self._base(channel)}/bot{channel.secrets['bot_token']}/{method}"
        try:
            if files:  # a multipart upload: the fields as form data beside the file
                response = requests.post(
                    url, data=body, files=files, timeout=settings.INTEGRATIONS_HTTP_TIMEOUT
                )
            else:
                response = requests.post(url, json=body, timeout=settings.INTEGRATIONS_HTTP_TIMEOUT)
            answer = response.json()
        except requests.RequestException as exc:
            # The URL carries the bot token: say what failed without it.
            raise ChannelError(
                _("Telegram could not be reached (%(error)s).") % {"error": type(exc).__name__}
            ) from None
        except ValueError:
            raise ChannelError(
                _("Telegram answered %(status)s, not JSON.") % {"status": response.status_code}
            ) from None
        if not isinstance(answer, dict) or not answer.get("ok"):
            description = answer.get("description") if isinstance(answer, dict) else ""
            raise ChannelError(
                _("Telegram refused %(method)s: %(reason)s")
                % {"method": method, "reason": description or response.status_code}
            )
        return answer

    def connect(self, channel, webhook_url: str) -> None:
        self._call(
            channel,
            "setWebhook",
            {
                "url": webhook_url,
                "secret_token": channel.secrets["secret_token"],
                "allowed_updates": ["message"],
            },
        )

    def verify(self, channel, request) -> bool:
        given = request.headers.get(SECRET_HEADER, "")
        expected = channel.secrets.get("secret_token", "")
        return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())

    def presented(self, request) -> bool:
        return bool(request.headers.get(SECRET_HEADER))

    def delivery_id(self, payload: dict) -> str | None:
        update_id = payload.get("update_id") if isinstance(payload, dict) else None
        if isinstance(update_id, int) and not isinstance(update_id, bool):
            return str(update_id)
        return None

    def normalise(self, payload: dict) -> Inbound | None:
        message = payload.get("message")
        if message is None:
            return None  # edits, channel posts, member updates: nothing for the inbox yet
        if not isinstance(message, dict):
            raise ValueError("message is not an object")
        chat = message.get("chat") or {}
        sender = message.get("from") or {}
        if "id" not in chat or "message_id" not in message:
            raise ValueError("message without chat.id or message_id")
        name = " ".join(
            str(p) for p in (sender.get("first_name"), sender.get("last_name")) if p
        ).strip()
        shared = message.get("contact") or {}
        phones = ()
        # A shared contact card is the sender's own phone only when it names the sender.
        if shared.get("phone_number") and shared.get("user_id") == sender.get("id"):
            phones = (str(shared["phone_number"]),)
        date = message.get("date")
        sent_at = (
            datetime.fromtimestamp(date, tz=UTC) if isinstance(date, int) else datetime.now(tz=UTC)
        )
        return Inbound(
            external_id=f"{chat['id']}:{message['message_id']}",
            chat_id=str(chat["id"]),
            text=str(message.get("text") or message.get("caption") or "")[:10000],
            sent_at=sent_at,
            sender_name=name[:200] or str(sender.get("username") or ""),
            username=str(sender.get("username") or "")[:64],
            phones=phones,
            files=_files(message),
        )

    def fetch_file(self, channel, ref: str) -> bytes:
        result = self._call(channel, "getFile", {"file_id": ref}).get("result") or {}
        path = result.get("file_path") if isinstance(result, dict) else None
        if not path:
            raise ChannelError(_("Telegram gave no path for the file."))
        # The URL carries the bot token: download.fetch never names it in an error.
        url = f"{self._base(channel)}/file/bot{channel.secrets['bot_token']}/{path}"
        return download.fetch(url, service=self.label, name=str(path))

    def _send_file(self, channel, chat_id: str, file: File, caption: str) -> dict:
        photo = file.content_type.split(";")[0].strip().lower() in PHOTOS
        method, field = ("sendPhoto", "photo") if photo else ("sendDocument", "document")
        body = {"chat_id": chat_id, **({"caption": caption} if caption else {})}
        upload = {field: (file.name, file.data, file.content_type or "application/octet-stream")}
        return self._call(channel, method, body, files=upload)

    def send(self, channel, outgoing: Outgoing) -> str:
        """The text (`sendMessage`), or the files (`sendPhoto` / `sendDocument`) with the
        text as the first one's caption when it fits; the first message's id is the
        reply's."""
        chat_id, text = outgoing.chat_id, outgoing.text
        answers = []
        if text and (not outgoing.files or len(text) > CAPTION):
            answers.append(self._call(channel, "sendMessage", {"chat_id": chat_id, "text": text}))
            text = ""
        for file in outgoing.files:
            answers.append(self._send_file(channel, chat_id, file, text))
            text = ""
        result = answers[0].get("result") or {}
        return f"{chat_id}:{result.get('message_id', '')}"


register(Telegram())
