"""Sample calls for the demo workspaces: an office line on Twilio (left unconnected: the
demo has no Twilio account) with an answered, recorded call and a missed one from the
demo's clients, and an unknown number's short call.

The calls come in the way real ones do, as Twilio's status callbacks (raw deliveries,
ingested), so the thread entries, the call-back tasks and the events are what a live line
would give. The recording, which Twilio would have us download, is a short tone made here.
"""

from __future__ import annotations

import io
import math
import wave
from email.utils import format_datetime

from django.utils import timezone

from contacts.selectors import contacts_for

from . import calls, ingest, receiver, services
from .channels import File, Inbound

DEMO_SID = "AC00000000000000000000000000000000"
LINE = "+15005550006"


def tone(seconds: float = 2.0, rate: int = 8000) -> bytes:
    """A WAV of a soft 440 Hz tone: something for the demo's player to play."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(
            bytes(
                128 + int(40 * math.sin(2 * math.pi * 440 * i / rate))
                for i in range(int(seconds * rate))
            )
        )
    return buffer.getvalue()


def _callback(sid: str, status: str, caller: str, at, **more) -> dict:
    return {
        "AccountSid": DEMO_SID, "CallSid": sid, "CallStatus": status, "From": caller,
        "To": LINE, "Direction": "inbound", "Timestamp": format_datetime(at), **more,
    }  # fmt: skip


def _deliver(channel, payload) -> None:
    delivery, _queue = receiver.store(channel, payload)
    ingest.process(delivery.pk)


def seed(admin, sellers) -> None:
    channel = services.channel_create(
        actor=admin,
        kind="twilio",
        name="Office line",
        raw_settings={"account_sid": DEMO_SID, "auth_token": "demo-line-without-a-token",
                      "phone_number": LINE},
        connect=False,
    )  # fmt: skip
    clients = list(contacts_for(admin).exclude(phones=[]).order_by("-pk")[:2])
    numbers = [c.phones[0] for c in clients] + ["+15005550199"]
    now = timezone.now()
    answered_at = now - timezone.timedelta(hours=3)
    # An answered call of 2 min 17 s, with its recording.
    for status, more in (("ringing", {}), ("in-progress", {}),
                         ("completed", {"CallDuration": "137"})):  # fmt: skip
        _deliver(channel, _callback("CADEMO0001", status, numbers[0], answered_at, **more))
    calls.store(
        channel,
        Inbound(external_id="CADEMO0001", chat_id="", text="", sent_at=answered_at, kind="call",
                meta=calls.call_event(calls.RECORDED, direction=calls.IN),
                files=(File(name="recording.wav", content_type="audio/wav", data=tone()),)),
    )  # fmt: skip
    # A missed call from a client: a call-back task for their owner.
    missed_at = now - timezone.timedelta(minutes=40)
    for status in ("ringing", "no-answer"):
        _deliver(channel, _callback("CADEMO0002", status, numbers[1], missed_at, CallDuration="0"))
    # A short answered call from a number nobody knows yet: a request to sort.
    unknown_at = now - timezone.timedelta(minutes=90)
    for status, more in (("ringing", {}), ("completed", {"CallDuration": "48"})):
        _deliver(channel, _callback("CADEMO0003", status, numbers[2], unknown_at, **more))
