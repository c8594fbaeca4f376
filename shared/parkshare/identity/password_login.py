"""Logging in with an email and a password.

Three defences besides the password itself: failed attempts are limited per account and per
address (`login_limits`); an unknown address costs a password verification like a known
one, so the time of the answer does not tell which addresses have accounts; and a hash
made with older parameters is replaced on the first login that knows the password.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from starlette.requests import Request

from parkshare import audit
from parkshare.config import get_settings
from parkshare.identity import login_limits, passwords, sessions
from parkshare.problems import Problem
from parkshare.store import db
from parkshare.store.queries import load
from parkshare.tokens import Principal

SQL = load("auth")
# Verified when the email is unknown, so that answer takes as long as a wrong password: the
# hash of a password nobody knows, made once with the current parameters (hashing one at
# import cost every cold start of the auth function 0.15-0.3 s); made afresh if they change.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$TMfFvRG/ix38jUHzb/a9gQ"
    "$AFbNZlIZS0ihsHjh7LJJCX932FZeBk+OMMXWFqeJeCY"
)
if passwords.needs_rehash(_DUMMY_HASH):
    _DUMMY_HASH = passwords.hash_password(secrets.token_urlsafe(16))


async def log_in(request: Request, email: str, password: str) -> dict[str, Any]:
    """A new session's tokens; `invalid_credentials` whatever was wrong, `rate_limited`
    after too many failures."""

    async def lookup(conn: db.AsyncConn) -> Any:
        return await (await conn.execute(SQL["login_lookup"], {"email": email})).fetchone()

    # The account (if there is one) and the key its failures count under, decided by the
    # database's one normalisation of addresses.
    user = await db.run(None, None, lookup)
    address_key, account_key = await _count_attempt(request, user["account_key"], email)

    stored = user["password_hash"] if user["user_id"] and user["password_hash"] else _DUMMY_HASH
    # argon2 is deliberately slow: keep it off the event loop.
    matches = await asyncio.to_thread(passwords.verify_password, stored, password)
    if not (user["user_id"] and user["active"] and user["password_hash"] and matches):
        await audit.security(
            "login_failed",
            connection=request,
            building_id=user["building_id"],
            user_id=user["user_id"],
            email=email,
            reason=_why_refused(user),
        )
        raise Problem("invalid_credentials", "wrong email or password")
    # A success is no failure: the address gets its attempt back, the account starts afresh.
    await login_limits.take_back(address_key)
    await login_limits.clear(account_key)
    principal = Principal(user["user_id"], user["building_id"], user["role"])
    # The password is known only now: the moment to move an old hash to current parameters.
    upgraded = (
        await asyncio.to_thread(passwords.hash_password, password)
        if passwords.needs_rehash(stored)
        else None
    )

    async def issue(conn: db.AsyncConn) -> dict[str, Any]:
        if upgraded is not None:
            await conn.execute(
                SQL["rehash_password"],
                {"user_id": principal.user_id, "old_hash": stored, "new_hash": upgraded},
            )
        return await sessions.start(conn, principal, request, "password")

    return await db.run(None, None, issue)


async def _count_attempt(request: Request, account_digest: str, email: str) -> tuple[str, str]:
    """Count this attempt as a failure of its address and its account until it succeeds;
    `rate_limited` if either has failed too often. Answers the two counters' keys."""
    settings = get_settings()
    # The peer as the server saw it. Behind a proxy the server must be told to trust the
    # proxy's forwarding header (README); reading X-Forwarded-For here would let every client
    # name its own address and step around the limit.
    client = request.client.host if request.client else "unknown"
    address_key = login_limits.login_address_key(client)
    account_key = login_limits.login_account_key(account_digest)
    for name, limit in (
        (address_key, settings.login_failures_per_address),
        (account_key, settings.login_failures_per_account),
    ):
        verdict = await login_limits.hit(name, limit, settings.login_window_seconds)
        if not verdict.allowed:
            await audit.security(
                "rate_limited",
                connection=request,
                scope="account" if name == account_key else "address",
                email=email,
            )
            raise Problem(
                "rate_limited",
                "too many failed logins; try again later",
                headers={"Retry-After": str(verdict.retry_after_seconds)},
            )
    return address_key, account_key


def _why_refused(user: Any) -> str:
    """For the audit log only: the answer is the same whatever the reason."""
    if not user["user_id"]:
        return "unknown_email"
    if not user["active"]:
        return "disabled"
    if not user["password_hash"]:
        return "no_password"
    return "wrong_password"
