"""Sessions: one per login, what a resident sees in their list and can end. A session is a
family of refresh tokens; each refresh trades the token for the next one, and presenting a
used one again (a stolen copy, most likely) ends the whole family — the database decides
that (`refresh_session`), this module only hands out and digests the tokens.

(Checking a live connection's session is `parkshare.sessions`.)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request

from parkshare import audit
from parkshare.identity.codes import code_digest, new_code
from parkshare.problems import Problem
from parkshare.store import db
from parkshare.store.queries import load
from parkshare.tokens import ACCESS_TOKEN_SECONDS, Principal, issue_access_token

SQL = load("auth")
REFRESH_LIFETIME = timedelta(days=30)


async def start(
    conn: db.AsyncConn, principal: Principal, request: Request, method: str
) -> dict[str, Any]:
    """A new login, in the caller's transaction: its session and its first tokens."""
    refresh = new_code()
    session = uuid.uuid4()
    await conn.execute(
        SQL["start_session"],
        {
            "user_id": principal.user_id,
            "hash": code_digest(refresh),
            "session_id": session,
            "expires_at": datetime.now(UTC) + REFRESH_LIFETIME,
            "method": method,
            "user_agent": request.headers.get("user-agent"),
            "address": audit.address_of(request),
        },
    )
    return _tokens(
        Principal(principal.user_id, principal.building_id, principal.role, session_id=session),
        refresh,
    )


async def rotate(refresh_token: str) -> dict[str, Any]:
    """New tokens for a refresh token, which stops working."""
    new = new_code()

    async def trade(conn: db.AsyncConn) -> Any:
        cur = await conn.execute(
            SQL["refresh_session"],
            {
                "old_hash": code_digest(refresh_token),
                "new_hash": code_digest(new),
                "expires_at": datetime.now(UTC) + REFRESH_LIFETIME,
            },
        )
        return await cur.fetchone()

    # Committed before answering: a detected reuse must revoke the family even though this
    # request is refused.
    row = await db.run(None, None, trade)
    if row is None or row["outcome"] != "ok":
        problem = Problem("invalid_token", "the refresh token is unknown, expired or already used")
        problem.reason = f"refresh token {row['outcome'] if row else 'invalid'}"
        raise problem
    principal = Principal(
        row["user_id"], row["building_id"], row["role"], session_id=row["session_id"]
    )
    return _tokens(principal, new)


async def end(refresh_token: str) -> None:
    """Log out: the session of this refresh token ends, every token of that login with it."""

    async def revoke(conn: db.AsyncConn) -> None:
        await conn.execute(SQL["revoke_refresh_token"], {"hash": code_digest(refresh_token)})

    await db.run(None, None, revoke)


async def still_usable(user: Principal) -> Any:
    return await db.value(user.building_id, user.user_id, SQL["my_sessions"])


async def revoke(user: Principal, session_id: uuid.UUID) -> None:
    """End one of the user's own sessions at once; its access tokens stop working too."""
    await db.value(
        user.building_id, user.user_id, SQL["revoke_session"], {"session_id": session_id}
    )


def _tokens(principal: Principal, refresh: str) -> dict[str, Any]:
    return {
        "access_token": issue_access_token(principal),
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
    }
