"""Signatures per the Standard Webhooks spec (the `standardwebhooks` package): headers
`webhook-id`, `webhook-timestamp` and `webhook-signature` ("v1," + base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>"), which a receiver checks with the endpoint's secret, and refuses
when the timestamp is more than five minutes off (no replays)."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook

from crm.crypto import fernet

PURPOSE = b"crm.automation.webhook-secrets"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def encrypt(secret: str) -> str:
    return fernet(PURPOSE).encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return fernet(PURPOSE).decrypt(token.encode()).decode()


def headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
