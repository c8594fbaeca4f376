"""Signing in with the building's provider, as the browser goes through it.

`start` sends the browser to the provider with what it must bring back sealed in a cookie;
`callback` checks what it brings back, signs the person in (the database decides who they
are and whether they may enter: `sso_sign_in`) and sends the browser to the app with a
one-time code; the app trades that code for tokens with `exchange`. Tokens never travel
in a URL.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote

import psycopg
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from parkshare import audit
from parkshare.config import get_settings
from parkshare.identity import sessions
from parkshare.identity.codes import code_digest, new_code
from parkshare.identity.sealed import Unsealable
from parkshare.identity.sso import oidc
from parkshare.identity.sso.settings import open_client_secret
from parkshare.problems import Problem, problem_from_db_error
from parkshare.store import db
from parkshare.store.queries import load
from parkshare.tokens import Principal

SQL = load("auth")
HANDOFF_LIFETIME = timedelta(seconds=60)
COOKIE = "parkshare_sso"


class ProviderAnswer(Protocol):
    """What the provider sends the browser back with (the callback's query)."""

    @property
    def code(self) -> str | None: ...
    @property
    def state(self) -> str | None: ...
    @property
    def iss(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def error_description(self) -> str | None: ...


async def start(request: Request, building: uuid.UUID) -> Response:
    """A redirect to the building's provider, with the sign-in's state in a cookie."""
    try:
        client = await _client(building)
        url, pending = await oidc.begin(client)
    except (Problem, oidc.SsoError, psycopg.Error) as exc:
        return await _refused(request, exc, building)
    response = _no_store(RedirectResponse(url, status_code=302))
    response.set_cookie(
        COOKIE,
        pending.sealed(),
        max_age=oidc.PENDING_SECONDS,
        path=_cookie_path(request),
        secure=client.redirect_uri.startswith("https://"),
        httponly=True,
        samesite="lax",
    )
    return response


async def callback(request: Request, answer: ProviderAnswer) -> Response:
    """A redirect to the app: with a one-time code if the person is in, else with the
    refusal's code (an API client gets problem+json)."""
    building: uuid.UUID | None = None
    try:
        pending = oidc.Pending.unseal(request.cookies.get(COOKIE, ""))
        building = pending.building_id
        # A refusal grants nothing, so it is reported even without a matching state (some
        # providers leave the state off their error answers).
        if answer.error is not None:
            reason = answer.error + (
                f" ({answer.error_description})" if answer.error_description else ""
            )
            raise oidc.SsoError("sso_failed", f"the provider answered: {reason}")
        if not answer.state or not hmac.compare_digest(answer.state, pending.state):
            raise oidc.SsoError("invalid_state", "the answer does not belong to this sign-in")
        client = await _client(building)
        if answer.iss is not None and answer.iss.rstrip("/") != client.issuer.rstrip("/"):
            raise oidc.SsoError("sso_failed", "the answer comes from another issuer")
        if not answer.code:
            raise oidc.SsoError("sso_failed", "the provider answered no code")
        claims = await oidc.finish(client, pending, answer.code)
        handoff = new_code()
        await _sign_in(building, client.issuer, claims, handoff)
    except (Problem, oidc.SsoError, psycopg.Error) as exc:
        response = await _refused(request, exc, building)
    else:
        # The one-time code travels in the fragment: browsers never send it to a server.
        app = get_settings().app_url
        response = _no_store(RedirectResponse(f"{app}/#sso_code={handoff}", status_code=303))
    response.delete_cookie(COOKIE, path=_cookie_path(request))
    return response


async def exchange(request: Request, code: str) -> dict[str, Any]:
    """A new session's tokens for the one-time code of a sign-in."""

    async def redeem(conn: db.AsyncConn) -> dict[str, Any]:
        row = await _fetch_one(conn, SQL["sso_redeem"], {"code_hash": code_digest(code)})
        principal = Principal(row["user_id"], row["building_id"], row["role"])
        return await sessions.start(conn, principal, request, "sso")

    return await db.run(None, None, redeem)


async def _client(building: uuid.UUID) -> oidc.Client:
    config = await db.run(
        None,
        None,
        lambda conn: _fetch_one(conn, SQL["sso_config"], {"building_id": building}),
    )
    secret = None
    if config["client_secret"] is not None:
        try:
            secret = open_client_secret(bytes(config["client_secret"]), building)
        except Unsealable as exc:
            # The secret key changed since the admin stored the client secret.
            raise Problem("sso_failed", "the building's SSO secret cannot be read") from exc
    return oidc.Client(
        building_id=building,
        issuer=config["issuer"],
        client_id=config["client_id"],
        client_secret=secret,
        redirect_uri=get_settings().sso_redirect_uri,
    )


async def _sign_in(building: uuid.UUID, issuer: str, claims: dict[str, Any], handoff: str) -> None:
    """The ID token's claims as the database takes them: of the expected types or absent,
    and bounded (a provider's claims are not ours to trust with our column sizes)."""
    groups = claims.get("groups")
    params = {
        "building_id": building,
        "issuer": issuer,
        "subject": str(claims["sub"]),
        "email": _text(claims.get("email"), 254),
        "email_verified": (
            claims["email_verified"] if isinstance(claims.get("email_verified"), bool) else None
        ),
        "groups": [str(g) for g in groups] if isinstance(groups, list) else None,
        "name": _text(claims.get("name"), 200),
        "handoff_hash": code_digest(handoff),
        "handoff_expires_at": datetime.now(UTC) + HANDOFF_LIFETIME,
    }
    await db.run(None, None, lambda conn: _fetch_one(conn, SQL["sso_sign_in"], params))


async def _fetch_one(conn: db.AsyncConn, query: str, params: dict[str, Any]) -> Any:
    return await (await conn.execute(query, params)).fetchone()


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _cookie_path(request: Request) -> str:
    # Where start and callback live: /fn/auth/sso/ on the gateway, /sso/ on the function's
    # own URL.
    return request.url.path.rsplit("/", 1)[0] + "/"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def _refused(
    request: Request, exc: Problem | oidc.SsoError | psycopg.Error, building: uuid.UUID | None
) -> Response:
    """Write the refusal to the audit log; a browser goes back to the app with the code in
    the fragment, an API client gets problem+json."""
    if isinstance(exc, psycopg.Error):
        problem = problem_from_db_error(exc)
    elif isinstance(exc, oidc.SsoError):
        problem = Problem(exc.code, exc.detail)
    else:
        problem = exc
    await audit.security(
        "sso_failed",
        connection=request,
        building_id=building,
        code=problem.code,
        reason=problem.detail,
    )
    if "text/html" in request.headers.get("accept", ""):
        app = get_settings().app_url
        return _no_store(
            RedirectResponse(f"{app}/#sso_error={quote(problem.code)}", status_code=303)
        )
    raise problem
