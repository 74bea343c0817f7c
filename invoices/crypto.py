"""Payment providers' signing secrets at rest: Fernet keyed from SECRET_KEY through HKDF under
this module's own purpose label (the same approach as the channels' secrets, with a key of
its own: neither use can read the other's). Rotating SECRET_KEY makes stored secrets
unreadable: they must then be entered again."""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PURPOSE = b"crm.invoices.provider-secrets"


@functools.cache
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(text: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    """The secret, or "" when none is stored or it cannot be read (a rotated SECRET_KEY):
    a webhook then fails its signature check instead of raising."""
    if not token:
        return ""
    try:
        return _fernet(settings.SECRET_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def mask(secret: str) -> str:
    if len(secret) <= 8:
        return "…" if secret else ""
    return f"{secret[:3]}…{secret[-4:]}"
