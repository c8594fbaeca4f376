"""Invites: a code an admin hands to a new resident (or admin), who signs up with it.

The code is shown once, in the answer that creates it; the database keeps its digest
(`codes.code_digest`, the same one sign-up looks the code up by).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from parkshare.identity.codes import code_digest, new_code
from parkshare.store import db
from parkshare.store.queries import load
from parkshare.tokens import Principal

SQL = load("functions")
INVITE_LIFETIME = timedelta(days=7)
# 18 random bytes: 24 characters, short enough to read out, far too many to guess.
_CODE_BYTES = 18


class InviteRequest(Protocol):
    @property
    def role(self) -> str: ...

    # If given, only this address can sign up with the code.
    @property
    def email(self) -> str | None: ...


async def create(admin: Principal, requests: Sequence[InviteRequest]) -> list[dict[str, Any]]:
    """Each invite's row with its code. All in one transaction: a bulk invite is made whole
    or not at all. The codes are drawn before it, so a retried transaction keeps them."""
    prepared = [_prepare(request) for request in requests]

    async def make(conn: db.AsyncConn) -> list[dict[str, Any]]:
        made = []
        for code, params in prepared:
            row = await (await conn.execute(SQL["create_invite"], params)).fetchone()
            assert row is not None
            made.append({"invite_code": code, **row})
        return made

    return await db.run(admin.building_id, admin.user_id, make)


def _prepare(request: InviteRequest) -> tuple[str, dict[str, Any]]:
    code = new_code(_CODE_BYTES)
    return code, {
        "code_hash": code_digest(code),
        "role": request.role,
        "email": request.email,
        "expires_at": datetime.now(UTC) + INVITE_LIFETIME,
    }
