"""Deliveries as Meta's and VK's webhooks post them, signed with the channel's own secrets,
for `simulate_inbound` to send to the running system (see that command)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from .channels.meta import SIGNATURE_HEADER
from .models import Channel

KINDS = ("whatsapp", "messenger", "instagram", "vk")


def delivery(
    channel: Channel, text: str, *, chat: int, name: str, phone: str
) -> tuple[bytes, dict]:
    """(body, headers) of one incoming text message to `channel` (read in its workspace's
    scope: the secrets are the channel's)."""
    now, unique = int(time.time()), time.time_ns()
    secrets = channel.secrets
    if channel.kind == "vk":
        message = {"date": now, "from_id": chat, "id": unique % 10**9, "out": 0,
                   "peer_id": chat, "text": text, "conversation_message_id": unique % 10**9,
                   "attachments": []}  # fmt: skip
        payload = {"group_id": int(channel.settings["group_id"]), "type": "message_new",
                   "event_id": f"sim{unique:x}", "v": "5.199",
                   "object": {"message": message}, "secret": secrets["secret"]}  # fmt: skip
        return json.dumps(payload).encode(), {"Content-Type": "application/json"}
    if channel.kind == "whatsapp":
        wa_id = "".join(c for c in phone if c.isdigit())
        value = {"messaging_product": "whatsapp",
                 "metadata": {"phone_number_id": channel.settings["phone_number_id"]},
                 "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                 "messages": [{"from": wa_id, "id": f"wamid.sim{unique:x}", "type": "text",
                               "timestamp": str(now), "text": {"body": text}}]}  # fmt: skip
        change = {"field": "messages", "value": value}
        payload = {"object": "whatsapp_business_account",
                   "entry": [{"id": "0", "changes": [change]}]}  # fmt: skip
    else:  # messenger, instagram
        page = channel.settings["page_id"]
        event = {"sender": {"id": str(chat)}, "recipient": {"id": page}, "timestamp": now * 1000,
                 "message": {"mid": f"m_sim{unique:x}", "text": text}}  # fmt: skip
        payload = {"object": "page" if channel.kind == "messenger" else "instagram",
                   "entry": [{"id": page, "time": now * 1000, "messaging": [event]}]}  # fmt: skip
    body = json.dumps(payload).encode()
    digest = hmac.new(secrets["app_secret"].encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", SIGNATURE_HEADER: f"sha256={digest}"}
