"""Channel secrets at rest: Fernet (AES-128-CBC with an HMAC), keyed from SECRET_KEY.

The key is derived with HKDF under a purpose label, so it is not SECRET_KEY itself and no
other use of SECRET_KEY (sessions, tokens) shares it. Rotating SECRET_KEY makes stored
channel secrets unreadable: the channels must then be connected again.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PURPOSE = b"crm.integrations.channel-secrets"


@functools.cache
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(text: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet(settings.SECRET_KEY).decrypt(token.encode()).decode()


def mask(secret: str) -> str:
    """Enough of a secret to recognise it, never enough to use it: `123…wxyz`."""
    if len(secret) <= 8:
        return "…"
    return f"{secret[:3]}…{secret[-4:]}"
