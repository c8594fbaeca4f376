"""Access tokens: short-lived JWTs signed with Ed25519, verified locally by every function.

Keys come from settings: `PARKSHARE_JWT_PRIVATE_KEYS` (a JWKS of private keys, the first
signs; only the auth function needs it) and `PARKSHARE_JWT_PUBLIC_KEYS` (a JWKS of public
keys, for functions that only verify). With neither set — the embedded default — a key is
generated once and kept under the data directory, so every process of `parkshare dev`
shares it and tokens survive restarts.

joserfc signs tokens, generates keys and serves the JWKS; verifying one (every function, on
every request with a new token) is Ed25519 from cryptography and the claims checked here, as
joserfc's `jwt.decode` and `JWTClaimsRegistry` check them: importing joserfc (every key
type, JWE, cryptography.x509) is ~45 ms of a cold start for one signature check.
tests/test_token_parity.py compares the two on every kind of token.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from parkshare.config import get_settings

if TYPE_CHECKING:
    from joserfc.jwk import KeySet, KeySetSerialization

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
            from joserfc.jwk import KeySet, OKPKey

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
    from joserfc.jwk import KeySet

    settings = get_settings()
    if settings.jwt_private_keys is not None:
        return KeySet.import_key_set(json.loads(settings.jwt_private_keys.get_secret_value()))
    return KeySet.import_key_set(_generated_key_file(settings.data_dir))


@lru_cache(maxsize=1)
def verification_keys() -> KeySet:
    """The public keys, as joserfc keys (the JWKS auth serves)."""
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(_verification_jwks())


def _verification_jwks() -> KeySetSerialization:
    """The JWKS tokens are verified with: the public keys, else the signing keys."""
    settings = get_settings()
    if settings.jwt_public_keys is not None:
        jwks: KeySetSerialization = json.loads(settings.jwt_public_keys)
        return jwks
    if settings.jwt_private_keys is not None:
        jwks = json.loads(settings.jwt_private_keys.get_secret_value())
        return jwks
    return _generated_key_file(settings.data_dir)


def public_jwks() -> KeySetSerialization:
    return verification_keys().as_dict(private=False)


def issue_access_token(principal: Principal, *, now: float | None = None) -> str:
    from joserfc import jwt

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


def principal_of(claims: dict[str, Any]) -> Principal:
    """The principal of claims already checked."""
    sid = claims.get("sid")
    return Principal(
        UUID(claims["sub"]),
        UUID(claims["bld"]),
        claims["role"],
        int(claims["exp"]),
        UUID(sid) if sid is not None else None,
    )


def _verify(token: str) -> Principal:
    """The token's principal, if its signature is one of ours and its claims hold; else
    InvalidToken, naming the claims only when the signature verified."""
    try:
        claims = _verified_claims(token)
    except (ValueError, TypeError, KeyError, InvalidSignature) as exc:
        raise InvalidToken(str(exc) or type(exc).__name__) from exc
    try:
        _check_claims(claims, get_settings().jwt_issuer, get_settings().jwt_audience)
        return principal_of(claims)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidToken(str(exc) or type(exc).__name__, dict(claims)) from exc


# --- the JWS, as joserfc's jws.deserialize_compact reads it -----------------------------------

# joserfc's limits on each part (JWSRegistry).
MAX_HEADER_BYTES = 512
MAX_PAYLOAD_BYTES = 128_000
MAX_SIGNATURE_BYTES = 1024
# The header parameters we sign with. joserfc knows a few more (RFC 7515), and refuses any
# other; a token of ours never carries them, so they are refused here.
_HEADER = ("alg", "kid", "typ")


def _b64decode(part: bytes) -> bytes:
    """Base64url without padding, refusing what joserfc's `urlsafe_b64decode` refuses: other
    alphabets, padding, an impossible length, unused bits set in the last character."""
    if b"+" in part or b"/" in part or b"=" in part:
        raise ValueError("not base64url without padding")
    pad = -len(part) % 4
    if pad == 3 or (pad and part[-1:] not in (b"AEIMQUYcgkosw048", b"AQgw")[pad - 1]):
        raise ValueError("not canonical base64url")
    try:
        return base64.b64decode(part + b"=" * pad, b"-_", validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc


def _verified_claims(token: str) -> dict[str, Any]:
    value = token.encode("utf-8")
    if len(value) > MAX_HEADER_BYTES + MAX_PAYLOAD_BYTES + MAX_SIGNATURE_BYTES:
        raise ValueError("token too long")
    parts = value.split(b".")
    if len(parts) != 3:
        raise ValueError("not a JWS compact serialization")
    head, body, signature = parts
    if len(head) > MAX_HEADER_BYTES or len(body) > MAX_PAYLOAD_BYTES:
        raise ValueError("token part too long")
    if len(signature) > MAX_SIGNATURE_BYTES:
        raise ValueError("signature too long")
    header = json.loads(_b64decode(head))
    if not isinstance(header, dict) or "alg" not in header:
        raise ValueError("invalid header")
    for name, parameter in header.items():
        if name not in _HEADER or not isinstance(parameter, str):
            raise ValueError(f"unsupported header parameter {name!r}")
    if header["alg"] != ALGORITHM:
        raise ValueError(f"algorithm {header['alg']!r} is not allowed")
    payload = _b64decode(body)
    key = _verification_key(header.get("kid"))
    key.verify(_b64decode(signature), head + b"." + body)
    claims = json.loads(payload)
    if not isinstance(claims, dict):
        raise ValueError("the payload is not a JSON object")
    return claims


def _verification_key(kid: str | None) -> Ed25519PublicKey:
    """The key joserfc's `KeySet.get_by_kid` picks for this kid (alg Ed25519, use sig): the
    only key when the token names none, else the first one of that kid."""
    keys = _verification_keys()
    if kid is None and len(keys) == 1:
        chosen = keys[0][1] if keys[0][2] else None
    else:
        chosen = next((key for key_id, key, usable in keys if key_id == kid and usable), None)
    if chosen is None:
        raise ValueError(f"no key for kid {kid!r}")
    return chosen


@lru_cache(maxsize=1)
def _verification_keys() -> list[tuple[str | None, Ed25519PublicKey | None, bool]]:
    """(kid, its Ed25519 key or None for another kind, whether joserfc would choose it for
    Ed25519 signatures: no other `use` or `alg`) for each key of the verification JWKS."""
    found: list[tuple[str | None, Ed25519PublicKey | None, bool]] = []
    for jwk in _verification_jwks().get("keys", []):
        data: dict[str, Any] = dict(jwk)
        key = None
        ops = data.get("key_ops")
        if (
            data.get("kty") == "OKP"
            and data.get("crv") == "Ed25519"
            and (ops is None or "verify" in ops)
        ):
            key = Ed25519PublicKey.from_public_bytes(_b64decode(str(data["x"]).encode()))
        usable = data.get("use") in (None, "sig") and data.get("alg") in (None, ALGORITHM)
        found.append((data.get("kid"), key, usable))
    return found


# --- the claims, as JWTClaimsRegistry checks them ---------------------------------------------

_ESSENTIAL = ("iss", "aud", "exp", "sub", "bld", "role")
ROLES = ("resident", "admin")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def _numeric_date(value: Any) -> bool:
    # A JSON number and never NaN or infinite: no comparison with NaN is true, so an "exp"
    # of NaN would never expire.
    return not isinstance(value, bool) and (
        isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    )


def _check_claims(claims: dict[str, Any], issuer: str, audience: str) -> None:
    """JWTClaimsRegistry(leeway, iss/aud values, exp, sub, bld, role essential, role one of
    ROLES).validate(claims), and a little stricter where it lets through what we never sign:
    `bld`, `sub` and `sid` are strings, `role` one string (not a list holding one)."""
    missing = sorted(name for name in _ESSENTIAL if claims.get(name) is None)
    if missing:
        raise ValueError(f"missing claims {','.join(missing)}")
    now = int(time.time())
    leeway = CLAIMS_LEEWAY_SECONDS
    for name, value in claims.items():
        if name in ("iss", "sub", "jti") and not isinstance(value, str):
            raise ValueError(f"claim {name!r} must be a string")
        if name in ("exp", "nbf", "iat") and not _numeric_date(value):
            raise ValueError(f"claim {name!r} must be a NumericDate")
        if name == "exp" and value <= now - leeway:
            raise ValueError("the token has expired")
        if name in ("nbf", "iat") and value > now + leeway:
            raise ValueError(f"claim {name!r} is in the future")
        if name in _ESSENTIAL and _blank(value):
            raise ValueError(f"claim {name!r} is blank")
    if claims["iss"] != issuer:
        raise ValueError("claim 'iss' is not ours")
    aud = claims["aud"]
    if isinstance(aud, list):
        if not all(isinstance(v, str) for v in aud) or audience not in aud:
            raise ValueError("claim 'aud' is not ours")
    elif aud != audience:
        raise ValueError("claim 'aud' is not ours")
    if claims["role"] not in ROLES or not isinstance(claims["role"], str):
        raise ValueError("claim 'role' is not a role")
    for name in ("bld", "sub", "sid"):
        if name in claims and claims[name] is not None and not isinstance(claims[name], str):
            raise ValueError(f"claim {name!r} must be a string")
