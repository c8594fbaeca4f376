"""/fn/auth: built-in accounts — log in, refresh, log out, sign up with an invite, and the
public keys every other function verifies access tokens with."""

import asyncio
import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import functions_framework.aio
from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from parkshare import db, events, ratelimit
from parkshare.config import get_settings
from parkshare.http import Body, Call, Router
from parkshare.passwords import hash_password, needs_rehash, verify_password
from parkshare.problems import Problem
from parkshare.queries import load
from parkshare.tokens import ACCESS_TOKEN_SECONDS, Principal, issue_access_token, public_jwks

SQL = load("auth")
router = Router("auth")
REFRESH_LIFETIME = timedelta(days=30)
EMAIL = r"^[^@\s]+@[^@\s]+$"
# Verified when the email is unknown, so that answer takes as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class LoginBody(Body):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class RefreshBody(Body):
    refresh_token: str = Field(min_length=1, max_length=200)


class SignupBody(Body):
    invite_code: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=254, pattern=EMAIL)
    password: str = Field(min_length=10, max_length=1024)
    display_name: str = Field(min_length=1, max_length=100)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def _tokens(conn: db.AsyncConn, principal: Principal, family: uuid.UUID) -> dict[str, Any]:
    refresh = secrets.token_urlsafe(32)
    await conn.execute(
        SQL["issue_refresh_token"],
        {
            "user_id": principal.user_id,
            "hash": _digest(refresh),
            "family": family,
            "expires_at": datetime.now(UTC) + REFRESH_LIFETIME,
        },
    )
    return _answer(principal, refresh)


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
    window = settings.login_window_seconds
    # The peer as the server saw it. Behind a proxy the server must be told to trust the
    # proxy's forwarding header (README); reading X-Forwarded-For here would let every client
    # name its own address and step around the limit.
    client = call.request.client.host if call.request.client else "unknown"
    account_key = ratelimit.login_account_key(call.body.email)
    for name, limit in (
        (ratelimit.login_address_key(client), settings.login_attempts_per_address),
        (account_key, settings.login_attempts_per_account),
    ):
        verdict = await ratelimit.hit(name, limit, window)
        if not verdict.allowed:
            raise Problem(
                "rate_limited",
                "too many login attempts; try again later",
                headers={"Retry-After": str(verdict.retry_after_seconds)},
            )

    async def lookup(conn: db.AsyncConn) -> Any:
        return await (
            await conn.execute(SQL["login_lookup"], {"email": call.body.email})
        ).fetchone()

    user = await db.run(None, None, lookup)
    stored = user["password_hash"] if user and user["password_hash"] else _DUMMY_HASH
    # argon2 is deliberately slow: keep it off the event loop.
    matches = await asyncio.to_thread(verify_password, stored, call.body.password)
    if not (user and user["active"] and user["password_hash"] and matches):
        raise Problem("invalid_credentials", "wrong email or password")
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
        return await _tokens(conn, principal, uuid.uuid4())

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
            SQL["rotate_refresh_token"],
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
        raise Problem("invalid_token", "the refresh token is unknown, expired or already used")
    return _answer(Principal(row["user_id"], row["building_id"], row["role"]), new)


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
    errors=("invalid_invite", "email_taken", "invalid_request"),
    summary="Join a building with an invite code",
)
async def signup(call: Call[SignupBody, None]) -> Any:
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

    user = await db.run(None, None, join)
    # The starting grant's credits.changed (rule 7), in the new resident's building.
    await events.publish(user["building_id"])
    return {"user": user}


@router.route("GET", "/jwks", auth=False, summary="Public keys of the access-token signer")
async def jwks(call: Call[None, None]) -> Response:
    return JSONResponse(public_jwks(), headers={"Cache-Control": "public, max-age=300"})


@functions_framework.aio.http
async def auth(request: Request) -> Response:
    return await router(request)
