"""Channel secrets at rest, under their own purpose label (crm/crypto.py). Rotating
SECRET_KEY makes stored channel secrets unreadable: the channels must then be connected
again."""

from __future__ import annotations

from crm.crypto import fernet, mask  # noqa: F401  (mask: what the channels' pages show)

PURPOSE = b"crm.integrations.channel-secrets"


def encrypt(text: str) -> str:
    return fernet(PURPOSE).encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return fernet(PURPOSE).decrypt(token.encode()).decode()
