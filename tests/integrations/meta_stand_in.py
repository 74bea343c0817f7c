"""A stand-in for Meta's Graph API (WhatsApp Cloud API, Messenger and Instagram's Send API)
on loopback, and deliveries as Meta's webhooks post them, signed with the app secret."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json

from .http_stand_in import Call, RecordingServer

ACCESS_TOKEN = "EAAGm0PX4ZCpsBAStandInAccessTokenXYZ1234"
APP_SECRET = "5f4dcc3b5aa765d61d8327deb882cf99"
PHONE_NUMBER_ID = "106540352242922"
PAGE_ID = "104857600000001"
JPEG = b"\xff\xd8\xff\xe0" + b"photo-bytes" * 50


class GraphStandIn(RecordingServer):
    def __init__(self):
        super().__init__()
        self.media: dict[str, tuple[str, bytes]] = {}  # media id -> (mime type, bytes)
        self.cdn: dict[str, bytes] = {}  # a file name under /cdn/ -> bytes (Messenger's links)
        self.refuse: set[str] = set()  # path endings to answer with an OAuth error
        self.profiles: dict[str, dict] = {}  # a sender's id -> their profile's fields
        self._ids = itertools.count(1)

    def _authorised(self, call: Call) -> bool:
        return call.headers.get("Authorization") == f"Bearer {ACCESS_TOKEN}"

    def handle(self, call: Call):
        path = call.path.strip("/")
        if path.startswith("cdn/"):
            data = self.cdn.get(path.removeprefix("cdn/"))
            return (200, data, "image/jpeg") if data else (404, b"gone", "text/plain")
        if path.startswith("download/"):
            if not self._authorised(call):
                return 401, b"no token", "text/plain"
            mime, data = self.media.get(path.removeprefix("download/"), ("", b""))
            return (200, data, mime) if data else (404, b"gone", "text/plain")
        if not self._authorised(call) or any(path.endswith(r) for r in self.refuse):
            error = {
                "message": "Invalid OAuth access token.",
                "type": "OAuthException",
                "code": 190,
            }
            return 400, {"error": error}, "application/json"
        parts = path.split("/")
        if call.method == "GET" and parts[-1] in self.media:
            mime, data = self.media[parts[-1]]
            return (
                200,
                {
                    "url": f"{self.url}/download/{parts[-1]}",
                    "mime_type": mime,
                    "file_size": len(data),
                    "id": parts[-1],
                },
                "application/json",
            )
        if call.method == "GET" and parts[-1] in self.profiles:
            return 200, {**self.profiles[parts[-1]], "id": parts[-1]}, "application/json"
        if call.method == "GET":
            return (
                200,
                {"display_phone_number": "15550001111", "verified_name": "Acme", "id": parts[-1]},
                "application/json",
            )
        if parts[-1] == "subscribed_apps":
            return 200, {"success": True}, "application/json"
        if parts[-1] == "media":
            media_id = f"out-media-{next(self._ids)}"
            return 200, {"id": media_id}, "application/json"
        if parts[-1] == "messages" and PHONE_NUMBER_ID in parts:
            to = call.body.get("to")
            return (
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": to}],
                    "messages": [{"id": f"wamid.out.{next(self._ids)}"}],
                },
                "application/json",
            )
        if parts[-1] == "messages":
            recipient = call.body.get("recipient")
            if isinstance(recipient, str):  # a multipart upload carries it as JSON text
                recipient = json.loads(recipient)
            return (
                200,
                {"recipient_id": recipient["id"], "message_id": f"m_out_{next(self._ids)}"},
                "application/json",
            )
        return 404, {"error": {"message": "Unknown path"}}, "application/json"

    def sent(self, suffix: str = "messages") -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path.endswith(f"/{suffix}")]


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def whatsapp_text(
    wamid: str,
    text: str = "Hello!",
    *,
    wa_id: str = "14155550123",
    name: str = "Kerry Fisher",
    timestamp: int = 1767225600,
) -> dict:
    return {
        "from": wa_id,
        "id": wamid,
        "timestamp": str(timestamp),
        "type": "text",
        "text": {"body": text},
    }


def whatsapp_delivery(*messages, statuses=(), contacts=None) -> dict:
    """A WhatsApp Cloud API webhook body: one entry, one change, these messages."""
    senders = {m["from"] for m in messages}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": contacts
        if contacts is not None
        else [{"profile": {"name": "Kerry Fisher"}, "wa_id": s} for s in sorted(senders)],
    }
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def whatsapp_status(wamid: str, status: str, *, errors=None) -> dict:
    report = {
        "id": wamid,
        "status": status,
        "timestamp": "1767229200",
        "recipient_id": "14155550123",
    }
    if errors:
        report["errors"] = errors
    return report


def messenger_delivery(*events, object_: str = "page") -> dict:
    return {
        "object": object_,
        "entry": [{"id": PAGE_ID, "time": 1767225600000, "messaging": list(events)}],
    }


def messenger_message(
    mid: str,
    text: str = "Hi!",
    *,
    psid: str = "6543210987654321",
    attachments=None,
    timestamp: int = 1767225600000,
) -> dict:
    message = {"mid": mid, "text": text}
    if attachments:
        message["attachments"] = attachments
    return {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "timestamp": timestamp,
        "message": message,
    }


def connect_meta(owner, graph, kind="whatsapp", name=""):
    """A channel of a Meta kind, connected to the stand-in through the service."""
    from crm.tenancy.context import tenant_scope
    from integrations import services

    account = {"phone_number_id": PHONE_NUMBER_ID} if kind == "whatsapp" else {"page_id": PAGE_ID}
    with tenant_scope(owner.tenant_id, owner.user):
        return services.channel_create(
            actor=owner,
            kind=kind,
            name=name or kind.title(),
            raw_settings={
                "access_token": ACCESS_TOKEN,
                "app_secret": APP_SECRET,
                "graph_api_base_url": graph.url,
                **account,
            },
        )
