"""Secrets kept in the database sealed with a key the database never sees: AES-256-GCM, the
building id as associated data (a sealed value copied to another building does not open).

The key is `PARKSHARE_SECRET_KEY` (32 bytes, base64url). With none set, the embedded default
generates one under the data directory, as it does the token-signing key. The same key also
seals the short-lived single sign-on cookie, and calendar feed tokens are derived from it
(parkshare.calendar.tokens, under a key of their own).
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from parkshare.config import get_settings

_VERSION = b"\x01"
_NONCE_BYTES = 12
_lock = threading.Lock()


class Unsealable(Exception):
    """The value was not sealed with this key for this purpose, or was altered."""


def _generated_key(data_dir: Path) -> bytes:
    path = data_dir / "keys" / "secret.key"
    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
            # Atomic: two processes starting together keep one of the two keys, never half.
            os.replace(tmp, path)
        return path.read_text().strip().encode()


@lru_cache(maxsize=1)
def secret_key() -> bytes:
    """The server's 32-byte secret key (also what calendar feed tokens are derived from)."""
    settings = get_settings()
    encoded = (
        settings.secret_key.get_secret_value().encode()
        if settings.secret_key is not None
        else _generated_key(settings.data_dir)
    )
    key = base64.urlsafe_b64decode(encoded + b"=" * (-len(encoded) % 4))
    if len(key) != 32:
        raise ValueError("PARKSHARE_SECRET_KEY must be 32 bytes, base64url-encoded")
    return key


@lru_cache(maxsize=1)
def _aead() -> AESGCM:
    return AESGCM(secret_key())


def seal(plain: bytes, context: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return _VERSION + nonce + _aead().encrypt(nonce, plain, context)


def open_sealed(sealed: bytes, context: bytes) -> bytes:
    if len(sealed) <= 1 + _NONCE_BYTES or sealed[:1] != _VERSION:
        raise Unsealable("not a sealed value")
    nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
    try:
        return _aead().decrypt(nonce, body, context)
    except InvalidTag as exc:
        raise Unsealable("the value does not open with this key") from exc
