"""Payment providers' signing secrets at rest, under their own purpose label (crm/crypto.py:
neither this nor the channels' secrets can read the other's). Rotating SECRET_KEY makes
stored secrets unreadable: they must then be entered again."""

from __future__ import annotations

from cryptography.fernet import InvalidToken

from crm.crypto import fernet, mask  # noqa: F401  (mask: what the settings page shows)

PURPOSE = b"crm.invoices.provider-secrets"


def encrypt(text: str) -> str:
    return fernet(PURPOSE).encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    """The secret, or "" when none is stored or it cannot be read (a rotated SECRET_KEY):
    a webhook then fails its signature check instead of raising."""
    if not token:
        return ""
    try:
        return fernet(PURPOSE).decrypt(token.encode()).decode()
    except InvalidToken:
        return ""
