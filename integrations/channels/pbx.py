"""Any PBX: a plain JSON webhook, signed with a secret the admin chooses, for a PBX of
one's own (Asterisk, FreeSWITCH, a provider without an adapter) to report its calls.

    POST <webhook URL>
    Content-Type: application/json
    X-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the channel's secret>

    {"call_id": "abc-1", "event": "started" | "answered" | "ended" | "recorded",
     "direction": "in" | "out", "from": "+15551230000", "to": "+15559870000",
     "duration": 65, "answered": true, "recording_url": "https://pbx.example/rec/abc-1.mp3",
     "at": "2026-01-01T10:00:00Z"}

One event a request (its delivery: `<call_id>:<event>`); `duration` and `answered` matter on
"ended" (without `answered`, a call that had "answered" counts as answered); a recording
comes with "ended" or on its own "recorded", and is fetched only from under the channel's
recordings address.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import Adapter, ChannelError, File, Inbound, register

SIGNATURE_HEADER = "X-Signature"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Pbx(Adapter):
    written_replies = False
    kind = "pbx"
    label = gettext_lazy("Other PBX (JSON webhook)")
    secret_fields = ("signing_secret",)
    public_fields = ("recordings_base_url", "callback_to")
    # Settings → Channels shows the webhook's address, for the provider's console.
    pasted_webhook = True

    def clean_settings(self, raw: dict) -> tuple[dict, dict]:
        from .. import calls

        secret = str(raw.get("signing_secret") or "").strip()
        if len(secret) < 16 or len(secret) > 200:
            raise ValueError(_("Choose a signing secret of 16 to 200 characters."))
        recordings = str(raw.get("recordings_base_url") or "").strip().rstrip("/")
        if recordings:
            recordings = calls.clean_base_url({"api_base_url": recordings}, "")
        public = {"recordings_base_url": recordings, "callback_to": calls.clean_queue(raw)}
        return public, {"signing_secret": secret}

    def form_fields(self) -> dict:
        from .. import calls

        return {
            "signing_secret": forms.CharField(
                label=_("Signing secret"), min_length=16, max_length=200,
                help_text=_("The PBX signs each request with it (see the inbox's README). "
                            "It is stored encrypted."),
                widget=forms.PasswordInput(render_value=False),
            ),
            "recordings_base_url": forms.URLField(
                label=_("Recordings address"), required=False,
                help_text=_("Recordings are downloaded only from under this address."),
            ),
            "callback_to": calls.queue_field(),
        }  # fmt: skip

    def connect(self, channel, webhook_url: str) -> None:
        """Nothing to register: the PBX is given the webhook's address by its admin."""

    def presented(self, request) -> bool:
        return bool(request.headers.get(SIGNATURE_HEADER))

    def verify(self, channel, request) -> bool:
        given = request.headers.get(SIGNATURE_HEADER, "")
        secret = channel.secrets.get("signing_secret", "")
        if not (given and secret):
            return False
        return hmac.compare_digest(given.encode(), signature(secret, request.body).encode())

    def delivery_id(self, payload) -> str | None:
        if not isinstance(payload, dict):
            return None
        call, event = payload.get("call_id"), payload.get("event")
        if not isinstance(call, str | int) or not isinstance(event, str):
            return None
        call = str(call)
        return f"{call}:{event[:20]}" if call and len(call) <= 100 else None

    def inbounds(self, payload: dict) -> list[Inbound]:
        from .. import calls

        event = payload.get("event")
        if event not in calls.EVENTS:
            raise ValueError(f"unknown call event {str(event)[:20]!r}")
        answered = payload.get("answered")
        common = {
            "direction": payload.get("direction") or calls.IN,
            "caller": str(payload.get("from") or ""),
            "called": str(payload.get("to") or ""),
        }
        at = parse_datetime(str(payload.get("at") or "")) if payload.get("at") else None
        sent_at = at if at and at.tzinfo else datetime.now(UTC)
        call_id = str(payload["call_id"])
        found = []
        recording = payload.get("recording_url")
        if isinstance(recording, str) and recording:
            name = recording.rsplit("/", 1)[-1][:80] or "recording.mp3"
            found.append(Inbound(
                external_id=call_id, chat_id="", text="", sent_at=sent_at, kind="call",
                meta=calls.call_event(calls.RECORDED, **common),
                files=(File(name=name, content_type="audio/mpeg", ref=recording),),
            ))  # fmt: skip
        if event != calls.RECORDED:
            found.append(Inbound(
                external_id=call_id, chat_id="", text="", sent_at=sent_at, kind="call",
                meta=calls.call_event(
                    event, duration=calls.as_int(payload.get("duration")),
                    answered=answered if isinstance(answered, bool) else None, **common),
            ))  # fmt: skip
        if not found:
            raise ValueError("a recorded event without recording_url")
        return found

    def normalise(self, payload: dict) -> Inbound | None:
        found = self.inbounds(payload)
        return found[-1] if found else None

    def fetch_file(self, channel, ref: str) -> bytes:
        from .. import calls

        base = channel.settings.get("recordings_base_url") or ""
        if not base or not ref.startswith(base + "/"):
            raise ChannelError(_("The recording is not under the channel's recordings address."))
        return calls.download(ref)

    def send(self, channel, outgoing) -> str:
        raise ChannelError(_("A phone channel takes no written replies: call the client."))


register(Pbx())
