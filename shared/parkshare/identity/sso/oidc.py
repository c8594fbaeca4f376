"""Single sign-on with a building's OpenID Connect provider, as a confidential client:
authorization code with PKCE (S256), `state` bound to the browser by a sealed cookie, and a
`nonce` bound to the ID token, which is verified here — signature against the provider's
published keys, issuer, audience, nonce, expiry — before anyone is let in.

The provider's metadata and keys are cached per process; keys are fetched again when a
token names a key id not yet seen (providers rotate keys), at most once a minute.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from parkshare.identity.sealed import Unsealable, open_sealed, seal

# joserfc (some 30 ms to import) and authlib are loaded by the callback that needs them: the
# auth function starts without them, as most of its calls are no single sign-on.
if TYPE_CHECKING:
    from authlib.integrations.httpx_client import AsyncOAuth2Client
    from joserfc.jwk import KeySet

# authlib and its HTTP client are imported where a sign-in needs them, not with the module:
# the auth function imports this one, and they cost every cold start ~0.1 s for routes most
# requests never take.

# Asymmetric algorithms only: an HMAC-signed ID token would be keyed by the client secret,
# and "none" is no signature at all.
ID_TOKEN_ALGORITHMS = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "Ed25519",
    "EdDSA",
]  # fmt: skip
SCOPE = "openid email profile"
PENDING_SECONDS = 600
CLOCK_LEEWAY_SECONDS = 60
METADATA_TTL_SECONDS = 3600
KEYS_REFETCH_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10.0
_PENDING_CONTEXT = b"parkshare-sso-pending"


class SsoError(Exception):
    """The provider, its answer or the browser's request failed a check; `code` is the
    contract's error code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Client:
    """A building's registration with its provider."""

    building_id: UUID
    issuer: str
    client_id: str
    client_secret: str | None
    redirect_uri: str


@dataclass(frozen=True, slots=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    token_auth_methods: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Pending:
    """A sign-in under way, carried by the browser in a sealed cookie between start and
    callback."""

    building_id: UUID
    state: str
    nonce: str
    verifier: str
    expires_at: float

    def sealed(self) -> str:
        plain = json.dumps(
            {
                "b": str(self.building_id),
                "s": self.state,
                "n": self.nonce,
                "v": self.verifier,
                "e": self.expires_at,
            }
        ).encode()
        return base64.urlsafe_b64encode(seal(plain, _PENDING_CONTEXT)).decode().rstrip("=")

    @classmethod
    def unseal(cls, cookie: str) -> Pending:
        try:
            raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
            data = json.loads(open_sealed(raw, _PENDING_CONTEXT))
            pending = cls(UUID(data["b"]), data["s"], data["n"], data["v"], float(data["e"]))
        except (Unsealable, ValueError, KeyError, TypeError) as exc:
            raise SsoError("invalid_state", "the sign-in cookie is missing or damaged") from exc
        if pending.expires_at < time.time():
            raise SsoError("invalid_state", "the sign-in took too long; start again")
        return pending


@dataclass
class _Cached:
    value: Any
    fetched_at: float


_metadata: dict[str, _Cached] = {}
_keys: dict[str, _Cached] = {}
_lock = asyncio.Lock()


# Google documents both forms of its issuer in ID tokens.
_ISSUER_ALIASES = {"https://accounts.google.com": "accounts.google.com"}


def _same_issuer(a: str, b: str) -> bool:
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or _ISSUER_ALIASES.get(b) == a


def is_secure_transport(url: str) -> bool:
    from authlib.common.security import is_secure_transport as secure

    return bool(secure(url))


async def _get_json(url: str) -> Any:
    import httpx2

    if not is_secure_transport(url):
        raise SsoError("sso_failed", f"{url} is neither https nor a loopback address")
    try:
        async with httpx2.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
            answer = await http.get(url, headers={"Accept": "application/json"})
        answer.raise_for_status()
        return answer.json()
    except (httpx2.HTTPError, ValueError) as exc:
        raise SsoError("sso_failed", f"the provider did not answer {url}: {exc}") from exc


async def provider(issuer: str) -> Provider:
    """The provider's metadata (OpenID Connect Discovery), which must name this issuer."""
    cached = _metadata.get(issuer)
    if cached is not None and time.monotonic() - cached.fetched_at < METADATA_TTL_SECONDS:
        found: Provider = cached.value
        return found
    doc = await _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    try:
        if not _same_issuer(str(doc["issuer"]), issuer):
            raise SsoError("sso_failed", f"the provider at {issuer} calls itself {doc['issuer']}")
        meta = Provider(
            issuer=issuer,
            authorization_endpoint=str(doc["authorization_endpoint"]),
            token_endpoint=str(doc["token_endpoint"]),
            jwks_uri=str(doc["jwks_uri"]),
            token_auth_methods=tuple(
                doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
            ),
        )
    except (KeyError, TypeError) as exc:
        raise SsoError("sso_failed", f"incomplete provider metadata: missing {exc}") from exc
    for url in (meta.authorization_endpoint, meta.token_endpoint, meta.jwks_uri):
        if not is_secure_transport(url):
            raise SsoError("sso_failed", f"{url} is neither https nor a loopback address")
    _metadata[issuer] = _Cached(meta, time.monotonic())
    return meta


async def _key_set(jwks_uri: str, *, refresh: bool = False) -> KeySet:
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    async with _lock:
        cached = _keys.get(jwks_uri)
        fresh_enough = cached is not None and (
            time.monotonic() - cached.fetched_at < KEYS_REFETCH_SECONDS
            or (not refresh and time.monotonic() - cached.fetched_at < METADATA_TTL_SECONDS)
        )
        if cached is not None and fresh_enough:
            found: KeySet = cached.value
            return found
        doc = await _get_json(jwks_uri)
        # Signing keys of the kinds the algorithms above use; encryption keys are not ours.
        usable = [
            k
            for k in doc.get("keys", [])
            if isinstance(k, dict)
            and k.get("kty") in ("RSA", "EC", "OKP")
            and k.get("use") != "enc"
        ]
        try:
            keys = KeySet.import_key_set({"keys": usable})
        except (JoseError, ValueError, TypeError) as exc:
            raise SsoError("sso_failed", f"the provider's keys do not load: {exc}") from exc
        _keys[jwks_uri] = _Cached(keys, time.monotonic())
        return keys


def _oauth(client: Client, meta: Provider | None = None) -> AsyncOAuth2Client:
    from authlib.integrations.httpx_client import AsyncOAuth2Client

    method = "none"
    if client.client_secret:
        supported = meta.token_auth_methods if meta else ("client_secret_basic",)
        method = (
            "client_secret_post"
            if "client_secret_basic" not in supported
            else ("client_secret_basic")
        )
    return AsyncOAuth2Client(
        client_id=client.client_id,
        client_secret=client.client_secret,
        scope=SCOPE,
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method=method,
        timeout=HTTP_TIMEOUT_SECONDS,
    )


async def begin(client: Client) -> tuple[str, Pending]:
    """The provider's authorization URL to send the browser to, and what the browser must
    bring back."""
    meta = await provider(client.issuer)
    pending = Pending(
        building_id=client.building_id,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(48),
        expires_at=time.time() + PENDING_SECONDS,
    )
    async with _oauth(client, meta) as oauth:
        url, _ = oauth.create_authorization_url(
            meta.authorization_endpoint,
            state=pending.state,
            code_verifier=pending.verifier,
            nonce=pending.nonce,
        )
    return str(url), pending


async def finish(client: Client, pending: Pending, code: str) -> dict[str, Any]:
    """Trade the code (with the PKCE verifier) for tokens; answer the verified ID token's
    claims."""
    import httpx2
    from authlib.integrations.base_client.errors import OAuthError

    meta = await provider(client.issuer)
    try:
        async with _oauth(client, meta) as oauth:
            token = await oauth.fetch_token(
                meta.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=pending.verifier,
            )
    except (OAuthError, httpx2.HTTPError, ValueError) as exc:
        raise SsoError("sso_failed", f"the provider refused the code: {exc}") from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SsoError("sso_failed", "the provider answered no ID token")
    return await verify_id_token(id_token, meta, client.client_id, pending.nonce)


async def verify_id_token(
    id_token: str, meta: Provider, client_id: str, nonce: str
) -> dict[str, Any]:
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwt import JWTClaimsRegistry

    keys = await _key_set(meta.jwks_uri)
    try:
        decoded = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
    except (JoseError, ValueError) as exc:
        # Perhaps a key rotated in since the keys were fetched: look once more.
        keys = await _key_set(meta.jwks_uri, refresh=True)
        try:
            decoded = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
        except (JoseError, ValueError):
            detail = f"the ID token's signature does not verify: {exc}"
            raise SsoError("sso_failed", detail) from exc
    claims = dict(decoded.claims)
    if not _same_issuer(str(claims.get("iss", "")), meta.issuer):
        raise SsoError("sso_failed", f"the ID token was issued by {claims.get('iss')!r}")
    try:
        JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_SECONDS,
            aud={"essential": True, "value": client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(claims)
    except JoseError as exc:
        raise SsoError("sso_failed", f"the ID token is not for this sign-in: {exc}") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SsoError("sso_failed", "the ID token was issued to another party")
    return claims
