"""Access tokens: short-lived JWTs signed with Ed25519, verified locally by every function.

Keys come from settings: `PARKSHARE_JWT_PRIVATE_KEYS` (a JWKS of private keys, the first
signs; only the auth function needs it) and `PARKSHARE_JWT_PUBLIC_KEYS` (a JWKS of public
keys, for functions that only verify). With neither set — the embedded default — a key is
generated once and kept under the data directory, so every process of `parkshare dev`
shares it and tokens survive restarts.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from uuid import UUID

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization, OKPKey
from joserfc.jwt import JWTClaimsRegistry

from parkshare.config import get_settings

ALGORITHM = "Ed25519"
ACCESS_TOKEN_SECONDS = 600
_lock = threading.Lock()


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or meant for someone else.

    `claims` are set when the signature was ours (an expired token, say): only then may the
    refusal be attributed to the building and user the token names."""

    def __init__(self, reason: str, claims: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.claims = claims or {}

    @property
    def building_id(self) -> UUID | None:
        return _uuid_or_none(self.claims.get("bld"))

    @property
    def user_id(self) -> UUID | None:
        return _uuid_or_none(self.claims.get("sub"))


def _uuid_or_none(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: UUID
    building_id: UUID
    role: str
    # When the token that proved it expires (Unix seconds); the relay closes a socket then.
    expires_at: int | None = field(default=None, compare=False)
    # The login (refresh-token family) the token belongs to; ended sessions are refused.
    session_id: UUID | None = field(default=None, compare=False)


def _generated_key_file(data_dir: Path) -> KeySetSerialization:
    path = data_dir / "jwt" / "signing-keys.json"
    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = OKPKey.generate_key(
                "Ed25519", parameters={"kid": uuid.uuid4().hex[:16]}, private=True
            )
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(KeySet([key]).as_dict(private=True), fh)
            # Atomic: two processes starting together keep one of the two keys, never half.
            os.replace(tmp, path)
        loaded: KeySetSerialization = json.loads(path.read_text())
        return loaded


@lru_cache(maxsize=1)
def signing_keys() -> KeySet:
    settings = get_settings()
    if settings.jwt_private_keys is not None:
        return KeySet.import_key_set(json.loads(settings.jwt_private_keys.get_secret_value()))
    return KeySet.import_key_set(_generated_key_file(settings.data_dir))


@lru_cache(maxsize=1)
def verification_keys() -> KeySet:
    settings = get_settings()
    if settings.jwt_public_keys is not None:
        return KeySet.import_key_set(json.loads(settings.jwt_public_keys))
    return KeySet.import_key_set(signing_keys().as_dict(private=False))


def public_jwks() -> KeySetSerialization:
    return verification_keys().as_dict(private=False)


def issue_access_token(principal: Principal, *, now: float | None = None) -> str:
    settings = get_settings()
    issued = int(now if now is not None else time.time())
    key = signing_keys().keys[0]
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(principal.user_id),
        "bld": str(principal.building_id),
        "role": principal.role,
        "iat": issued,
        "exp": issued + ACCESS_TOKEN_SECONDS,
        "jti": uuid.uuid4().hex,
    }
    if principal.session_id is not None:
        claims["sid"] = str(principal.session_id)
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}
    return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


# Verified tokens, by their text: a client sends the same token with every request for its
# ten minutes, and an Ed25519 verification plus the claims' checks cost more than the rest of
# parsing a request. Only a token whose signature and claims verified is kept, and only until
# it expires; whether its session still holds is the database's question on every request.
_VERIFIED: OrderedDict[str, Principal] = OrderedDict()
VERIFIED_MAX = 4096
CLAIMS_LEEWAY_SECONDS = 30


def verify_access_token(token: str) -> Principal:
    known = _VERIFIED.get(token)
    if known is not None and known.expires_at is not None:
        if time.time() < known.expires_at + CLAIMS_LEEWAY_SECONDS:
            _VERIFIED.move_to_end(token)
            return known
        del _VERIFIED[token]
    principal = _verify(token)
    _VERIFIED[token] = principal
    if len(_VERIFIED) > VERIFIED_MAX:
        _VERIFIED.popitem(last=False)
    return principal


def _verify(token: str) -> Principal:
    settings = get_settings()
    try:
        decoded = jwt.decode(token, verification_keys(), algorithms=[ALGORITHM])
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc
    try:
        JWTClaimsRegistry(
            leeway=CLAIMS_LEEWAY_SECONDS,
            iss={"essential": True, "value": settings.jwt_issuer},
            aud={"essential": True, "value": settings.jwt_audience},
            exp={"essential": True},
            sub={"essential": True},
            bld={"essential": True},
            role={"essential": True, "values": ["resident", "admin"]},
        ).validate(decoded.claims)
        claims = decoded.claims
        sid = claims.get("sid")
        return Principal(
            UUID(claims["sub"]),
            UUID(claims["bld"]),
            claims["role"],
            int(claims["exp"]),
            UUID(sid) if sid is not None else None,
        )
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise InvalidToken(str(exc), dict(decoded.claims)) from exc
