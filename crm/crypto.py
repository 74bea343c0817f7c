"""Secrets at rest (channel tokens, payment providers' signing secrets): Fernet (AES-128-CBC
with an HMAC), keyed from SECRET_KEY through HKDF under a purpose label of each use, so no
use shares a key with another or with SECRET_KEY itself. Rotating SECRET_KEY makes stored
secrets unreadable: they must then be entered again."""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@functools.cache
def _fernet(secret_key: str, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def fernet(purpose: bytes) -> Fernet:
    """The Fernet of one use of secrets (its key derived once per process)."""
    return _fernet(settings.SECRET_KEY, purpose)


def mask(secret: str) -> str:
    """Enough of a secret to recognise it, never enough to use it: `123…wxyz`."""
    if len(secret) <= 8:
        return "…" if secret else ""
    return f"{secret[:3]}…{secret[-4:]}"
