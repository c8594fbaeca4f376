"""Feed tokens: `base64url(HMAC-SHA256(k, "<building>|<user>|<generation>"))`, so the current
URL can be shown again without being stored. The database keeps only the token's SHA-256,
to find whose feed a request is for; rotating moves to the next generation.

`k` is derived from the server's secret key (HKDF, a label of its own) rather than being the
key itself: that key also seals secrets with AES-GCM, and one key serves one purpose.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import lru_cache
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from parkshare.identity.sealed import secret_key

# 32 bytes of HMAC in unpadded base64url.
_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


@lru_cache(maxsize=1)
def _feed_key() -> bytes:
    derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"parkshare calendar feed")
    return derive.derive(secret_key())


def feed_token(building_id: UUID, user_id: UUID, generation: int) -> str:
    message = f"{building_id}|{user_id}|{generation}".encode()
    digest = hmac.new(_feed_key(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def well_formed(token: str) -> bool:
    """Whether `token` could be one we made: anything else finds no feed, unasked."""
    return _SHAPE.fullmatch(token) is not None
