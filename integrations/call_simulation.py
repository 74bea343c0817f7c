"""Real, correctly signed call events posted to a telephony channel's webhook on the running
system (`simulate_inbound <workspace> --call missed|answered`): what Twilio, Zadarma or a PBX
speaking the JSON webhook would send for one call."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import requests
from django.conf import settings

from .channels import pbx, twilio, zadarma

KINDS = ("twilio", "zadarma", "pbx")


def _events(kind: str, outcome: str, call_id: str, caller: str, line: str) -> list:
    """The bodies of one call's events, in the provider's own words."""
    answered = outcome == "answered"
    if kind == "twilio":
        base = {"CallSid": call_id, "From": caller, "To": line, "Direction": "inbound"}
        statuses = ["ringing", "in-progress", "completed"] if answered else ["ringing", "no-answer"]
        return [
            {**base, "CallStatus": s, "CallDuration": "42" if answered else "0"} for s in statuses
        ]
    if kind == "zadarma":
        start = {
            "event": "NOTIFY_START",
            "call_start": time.strftime("%Y-%m-%d %H:%M:%S"),
            "pbx_call_id": call_id,
            "caller_id": caller,
            "called_did": line,
        }
        end = {
            **start,
            "event": "NOTIFY_END",
            "duration": "42" if answered else "0",
            "disposition": "answered" if answered else "no answer",
            "is_recorded": "0",
        }
        found = [start]
        if answered:
            found.append({**start, "event": "NOTIFY_ANSWER", "destination": "100"})
        return [*found, end]
    events = ["started", "answered", "ended"] if answered else ["started", "ended"]
    return [
        {
            "call_id": call_id,
            "event": e,
            "direction": "in",
            "from": caller,
            "to": line,
            "duration": 42 if answered else 0,
            "answered": answered,
        }
        for e in events
    ]


def post_call(channel, url: str, *, outcome: str, caller: str) -> list[int]:
    """Post one call's events to `url` (the channel's webhook), signed as its provider
    signs them; the answers' status codes."""
    call_id = f"SIM{time.time_ns()}"
    line = channel.settings.get("phone_number") or "+15005550006"
    secrets, timeout = channel.secrets, settings.INTEGRATIONS_HTTP_TIMEOUT
    codes = []
    for body in _events(channel.kind, outcome, call_id, caller, line):
        if channel.kind == "twilio":
            signature = twilio.signature(secrets["auth_token"], url, body)
            response = requests.post(
                url, data=body, timeout=timeout, headers={twilio.SIGNATURE_HEADER: signature}
            )
        elif channel.kind == "zadarma":
            signature = zadarma.signature(secrets["api_secret"], body)
            response = requests.post(
                url,
                data=urlencode(body),
                timeout=timeout,
                headers={
                    "Signature": signature,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        else:
            raw = json.dumps(body).encode()
            signature = pbx.signature(secrets["signing_secret"], raw)
            response = requests.post(
                url,
                data=raw,
                timeout=timeout,
                headers={pbx.SIGNATURE_HEADER: signature, "Content-Type": "application/json"},
            )
        codes.append(response.status_code)
    return codes
