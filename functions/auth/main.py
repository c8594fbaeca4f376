"""/fn/auth: accounts — log in with a password or the building's single sign-on, refresh,
log out, sign up with an invite, change the password, see and end sessions; and the public
keys every other function verifies access tokens with."""

import asyncio
import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import psycopg
from pydantic import ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from parkshare import audit, db, entrypoint, metrics, oidc, ratelimit
from parkshare.config import get_settings
from parkshare.http import Body, Call, Query, Router
from parkshare.passwords import hash_password, needs_rehash, verify_password, weakness
from parkshare.problems import Problem, problem_from_db_error
from parkshare.queries import load
from parkshare.secretbox import Unsealable, open_sealed
from parkshare.tokens import ACCESS_TOKEN_SECONDS, Principal, issue_access_token, public_jwks

SQL = load("auth")
router = Router("auth")
# Login limits count failures in Redis (parkshare.ratelimit): readiness reports it.
metrics.readiness("auth", optional={"redis": metrics.redis_answers})
REFRESH_LIFETIME = timedelta(days=30)
SSO_HANDOFF_LIFETIME = timedelta(seconds=60)
SSO_COOKIE = "parkshare_sso"
EMAIL = r"^[^@\s]+@[^@\s]+$"
# Verified when the email is unknown, so that answer takes as long as a wrong password: the
# hash of a password nobody knows, made once with the current parameters (hashing one at
# import cost every cold start of this function 0.15-0.3 s); made afresh if they change.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$TMfFvRG/ix38jUHzb/a9gQ"
    "$AFbNZlIZS0ihsHjh7LJJCX932FZeBk+OMMXWFqeJeCY"
)
if needs_rehash(_DUMMY_HASH):
    _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class LoginBody(Body):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class RefreshBody(Body):
    refresh_token: str = Field(min_length=1, max_length=200)


class PasswordBody(Body):
    current_password: str = Field(max_length=1024)
    # Length and the rest of what makes a password weak: weak_password (passwords.weakness).
    new_password: str = Field(max_length=4096)


class SessionBody(Body):
    session_id: uuid.UUID


class SsoStartQuery(Query):
    building: uuid.UUID


class SsoCallbackQuery(Query):
    # Providers add parameters of their own (session_state, scope, hd, ...): ignore those.
    model_config = ConfigDict(extra="ignore", frozen=True)
    code: str | None = Field(default=None, max_length=4096)
    state: str | None = Field(default=None, max_length=512)
    iss: str | None = Field(default=None, max_length=500)
    error: str | None = Field(default=None, max_length=200)
    error_description: str | None = Field(default=None, max_length=500)


class SsoExchangeBody(Body):
    code: str = Field(min_length=1, max_length=200)


class SignupBody(Body):
    invite_code: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=254, pattern=EMAIL)
    password: str = Field(max_length=4096)
    display_name: str = Field(min_length=1, max_length=100)


def refuse_weak(password: str, email: str | None) -> None:
    reason = weakness(password, email)
    if reason is not None:
        raise Problem("weak_password", f"choose another password: {reason}")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def _start_session(
    conn: db.AsyncConn, principal: Principal, request: Request, method: str
) -> dict[str, Any]:
    """A new login: its session (what the resident sees in their list) and tokens."""
    refresh = secrets.token_urlsafe(32)
    session = uuid.uuid4()
    await conn.execute(
        SQL["start_session"],
        {
            "user_id": principal.user_id,
            "hash": _digest(refresh),
            "session_id": session,
            "expires_at": datetime.now(UTC) + REFRESH_LIFETIME,
            "method": method,
            "user_agent": request.headers.get("user-agent"),
            "address": audit.address_of(request),
        },
    )
    return _answer(
        Principal(principal.user_id, principal.building_id, principal.role, session_id=session),
        refresh,
    )


def _answer(principal: Principal, refresh: str) -> dict[str, Any]:
    return {
        "access_token": issue_access_token(principal),
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
    }


@router.route(
    "POST",
    "/login",
    body=LoginBody,
    auth=False,
    errors=("invalid_credentials", "rate_limited"),
    summary="Log in with email and password; answers an access and a refresh token",
)
async def login(call: Call[LoginBody, None]) -> Any:
    settings = get_settings()

    async def lookup(conn: db.AsyncConn) -> Any:
        return await (
            await conn.execute(SQL["login_lookup"], {"email": call.body.email})
        ).fetchone()

    # The account (if there is one) and the key its failures count under, decided by the
    # database's one normalisation of addresses.
    user = await db.run(None, None, lookup)
    # The peer as the server saw it. Behind a proxy the server must be told to trust the
    # proxy's forwarding header (README); reading X-Forwarded-For here would let every client
    # name its own address and step around the limit.
    client = call.request.client.host if call.request.client else "unknown"
    address_key = ratelimit.login_address_key(client)
    account_key = ratelimit.login_account_key(user["account_key"])
    for name, limit in (
        (address_key, settings.login_failures_per_address),
        (account_key, settings.login_failures_per_account),
    ):
        verdict = await ratelimit.hit(name, limit, settings.login_window_seconds)
        if not verdict.allowed:
            await audit.security(
                "rate_limited",
                connection=call.request,
                scope="account" if name == account_key else "address",
                email=call.body.email,
            )
            raise Problem(
                "rate_limited",
                "too many failed logins; try again later",
                headers={"Retry-After": str(verdict.retry_after_seconds)},
            )

    stored = user["password_hash"] if user["user_id"] and user["password_hash"] else _DUMMY_HASH
    # argon2 is deliberately slow: keep it off the event loop.
    matches = await asyncio.to_thread(verify_password, stored, call.body.password)
    if not (user["user_id"] and user["active"] and user["password_hash"] and matches):
        await audit.security(
            "login_failed",
            connection=call.request,
            building_id=user["building_id"],
            user_id=user["user_id"],
            email=call.body.email,
            reason=(
                "unknown_email"
                if not user["user_id"]
                else "disabled"
                if not user["active"]
                else "no_password"
                if not user["password_hash"]
                else "wrong_password"
            ),
        )
        raise Problem("invalid_credentials", "wrong email or password")
    # A success is no failure: the address gets its attempt back, the account starts afresh.
    await ratelimit.take_back(address_key)
    await ratelimit.clear(account_key)
    principal = Principal(user["user_id"], user["building_id"], user["role"])
    # The password is known only now: the moment to move an old hash to current parameters.
    upgraded = (
        await asyncio.to_thread(hash_password, call.body.password) if needs_rehash(stored) else None
    )

    async def issue(conn: db.AsyncConn) -> dict[str, Any]:
        if upgraded is not None:
            await conn.execute(
                SQL["rehash_password"],
                {"user_id": principal.user_id, "old_hash": stored, "new_hash": upgraded},
            )
        return await _start_session(conn, principal, call.request, "password")

    return await db.run(None, None, issue)


@router.route(
    "POST",
    "/refresh",
    body=RefreshBody,
    auth=False,
    errors=("invalid_token",),
    summary="Trade a refresh token for new tokens; the old refresh token stops working",
)
async def refresh(call: Call[RefreshBody, None]) -> Any:
    new = secrets.token_urlsafe(32)

    async def rotate(conn: db.AsyncConn) -> Any:
        cur = await conn.execute(
            SQL["refresh_session"],
            {
                "old_hash": _digest(call.body.refresh_token),
                "new_hash": _digest(new),
                "expires_at": datetime.now(UTC) + REFRESH_LIFETIME,
            },
        )
        return await cur.fetchone()

    # Committed before answering: a detected reuse must revoke the family even though this
    # request is refused.
    row = await db.run(None, None, rotate)
    if row is None or row["outcome"] != "ok":
        problem = Problem("invalid_token", "the refresh token is unknown, expired or already used")
        problem.reason = f"refresh token {row['outcome'] if row else 'invalid'}"
        raise problem
    principal = Principal(
        row["user_id"], row["building_id"], row["role"], session_id=row["session_id"]
    )
    return _answer(principal, new)


@router.route(
    "POST",
    "/logout",
    body=RefreshBody,
    auth=False,
    status=204,
    summary="End the session of a refresh token (every token of that login)",
)
async def logout(call: Call[RefreshBody, None]) -> None:
    async def revoke(conn: db.AsyncConn) -> None:
        await conn.execute(SQL["revoke_refresh_token"], {"hash": _digest(call.body.refresh_token)})

    await db.run(None, None, revoke)


@router.route(
    "POST",
    "/signup",
    body=SignupBody,
    auth=False,
    status=201,
    errors=("invalid_invite", "email_taken", "invalid_request", "weak_password"),
    summary="Join a building with an invite code",
)
async def signup(call: Call[SignupBody, None]) -> Any:
    refuse_weak(call.body.password, call.body.email)
    password_hash = await asyncio.to_thread(hash_password, call.body.password)

    async def join(conn: db.AsyncConn) -> Any:
        cur = await conn.execute(
            SQL["sign_up"],
            {
                "code_hash": _digest(call.body.invite_code),
                "email": call.body.email,
                "password_hash": password_hash,
                "display_name": call.body.display_name,
            },
        )
        return await cur.fetchone()

    return {"user": await db.run(None, None, join)}


@router.route(
    "POST",
    "/password",
    body=PasswordBody,
    status=204,
    errors=("invalid_credentials", "no_password", "conflict", "weak_password"),
    summary="Change the password; every other session ends",
)
async def password(call: Call[PasswordBody, None]) -> None:
    user = call.user
    mine = await db.run(
        user.building_id, user.user_id, lambda conn: _fetch_one(conn, SQL["my_password_hash"], {})
    )
    stored = mine["password_hash"]
    matches = await asyncio.to_thread(verify_password, stored, call.body.current_password)
    if not matches:
        await audit.security(
            "password_change_failed",
            connection=call.request,
            building_id=user.building_id,
            user_id=user.user_id,
        )
        raise Problem("invalid_credentials", "the current password is wrong")
    refuse_weak(call.body.new_password, mine["email"])
    new_hash = await asyncio.to_thread(hash_password, call.body.new_password)
    await db.value(
        user.building_id,
        user.user_id,
        SQL["change_password"],
        {"old_hash": stored, "new_hash": new_hash},
    )


@router.route("GET", "/sessions", summary="The caller's sessions that can still be used")
async def sessions(call: Call[None, None]) -> Any:
    user = call.user
    return {"sessions": await db.value(user.building_id, user.user_id, SQL["my_sessions"])}


@router.route(
    "POST",
    "/sessions/revoke",
    body=SessionBody,
    status=204,
    errors=("session_not_found",),
    summary="End one of the caller's sessions at once (its tokens stop working)",
)
async def revoke_session(call: Call[SessionBody, None]) -> None:
    await db.value(
        call.user.building_id,
        call.user.user_id,
        SQL["revoke_session"],
        {"session_id": call.body.session_id},
    )


# --- single sign-on ----------------------------------------------------------------------


async def _sso_client(building: uuid.UUID) -> oidc.Client:
    config = await db.run(
        None,
        None,
        lambda conn: _fetch_one(conn, SQL["sso_config"], {"building_id": building}),
    )
    secret = None
    if config["client_secret"] is not None:
        try:
            secret = open_sealed(bytes(config["client_secret"]), building.bytes).decode()
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


async def _fetch_one(conn: db.AsyncConn, query: str, params: dict[str, Any]) -> Any:
    return await (await conn.execute(query, params)).fetchone()


def _cookie_path(request: Request) -> str:
    # Where start and callback live: /fn/auth/sso/ on the gateway, /sso/ on the function's
    # own URL.
    return request.url.path.rsplit("/", 1)[0] + "/"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.route(
    "GET",
    "/sso/start",
    query=SsoStartQuery,
    auth=False,
    errors=("sso_not_configured", "sso_failed"),
    summary="Begin single sign-on: redirects to the building's identity provider",
)
async def sso_start(call: Call[None, SsoStartQuery]) -> Response:
    try:
        client = await _sso_client(call.query.building)
        url, pending = await oidc.begin(client)
    except (Problem, oidc.SsoError, psycopg.Error) as exc:
        return await _sso_refused(call.request, exc, call.query.building)
    response = _no_store(RedirectResponse(url, status_code=302))
    response.set_cookie(
        SSO_COOKIE,
        pending.sealed(),
        max_age=oidc.PENDING_SECONDS,
        path=_cookie_path(call.request),
        secure=client.redirect_uri.startswith("https://"),
        httponly=True,
        samesite="lax",
    )
    return response


@router.route(
    "GET",
    "/sso/callback",
    query=SsoCallbackQuery,
    auth=False,
    errors=("invalid_state", "sso_failed", "sso_forbidden", "sso_not_configured"),
    summary="Where the identity provider sends the browser back; ends in the app",
)
async def sso_callback(call: Call[None, SsoCallbackQuery]) -> Response:
    query = call.query
    building: uuid.UUID | None = None
    try:
        pending = oidc.Pending.unseal(call.request.cookies.get(SSO_COOKIE, ""))
        building = pending.building_id
        # A refusal grants nothing, so it is reported even without a matching state (some
        # providers leave the state off their error answers).
        if query.error is not None:
            reason = query.error + (
                f" ({query.error_description})" if query.error_description else ""
            )
            raise oidc.SsoError("sso_failed", f"the provider answered: {reason}")
        if not query.state or not hmac.compare_digest(query.state, pending.state):
            raise oidc.SsoError("invalid_state", "the answer does not belong to this sign-in")
        client = await _sso_client(building)
        if query.iss is not None and query.iss.rstrip("/") != client.issuer.rstrip("/"):
            raise oidc.SsoError("sso_failed", "the answer comes from another issuer")
        if not query.code:
            raise oidc.SsoError("sso_failed", "the provider answered no code")
        claims = await oidc.finish(client, pending, query.code)
        handoff = secrets.token_urlsafe(32)
        groups = claims.get("groups")
        await db.run(
            None,
            None,
            lambda conn: _fetch_one(
                conn,
                SQL["sso_sign_in"],
                {
                    "building_id": building,
                    "issuer": client.issuer,
                    "subject": str(claims["sub"]),
                    "email": _text(claims.get("email"), 254),
                    "email_verified": (
                        claims["email_verified"]
                        if isinstance(claims.get("email_verified"), bool)
                        else None
                    ),
                    "groups": [str(g) for g in groups] if isinstance(groups, list) else None,
                    "name": _text(claims.get("name"), 200),
                    "handoff_hash": _digest(handoff),
                    "handoff_expires_at": datetime.now(UTC) + SSO_HANDOFF_LIFETIME,
                },
            ),
        )
    except (Problem, oidc.SsoError, psycopg.Error) as exc:
        response = await _sso_refused(call.request, exc, building)
    else:
        # The one-time code travels in the fragment: browsers never send it to a server.
        app = get_settings().app_url
        response = _no_store(RedirectResponse(f"{app}/#sso_code={handoff}", status_code=303))
    response.delete_cookie(SSO_COOKIE, path=_cookie_path(call.request))
    return response


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


async def _sso_refused(
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


@router.route(
    "POST",
    "/sso/exchange",
    body=SsoExchangeBody,
    auth=False,
    errors=("invalid_token",),
    summary="Trade the one-time code of a single sign-on for access and refresh tokens",
)
async def sso_exchange(call: Call[SsoExchangeBody, None]) -> Any:
    async def redeem(conn: db.AsyncConn) -> dict[str, Any]:
        row = await _fetch_one(conn, SQL["sso_redeem"], {"code_hash": _digest(call.body.code)})
        principal = Principal(row["user_id"], row["building_id"], row["role"])
        return await _start_session(conn, principal, call.request, "sso")

    return await db.run(None, None, redeem)


@router.route("GET", "/jwks", auth=False, summary="Public keys of the access-token signer")
async def jwks(call: Call[None, None]) -> Response:
    return JSONResponse(public_jwks(), headers={"Cache-Control": "public, max-age=300"})


@entrypoint.http
async def auth(request: Request) -> Response:
    return await router(request)
