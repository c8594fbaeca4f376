"""Accounts with a password: joining a building with an invite, and changing the password.

Whether the invite is valid, for this address, and unused, and whether the address is free,
is the database's to decide (`sign_up`); here the password is judged and hashed, which the
database cannot do.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from starlette.requests import Request

from parkshare import audit
from parkshare.identity.codes import code_digest
from parkshare.identity.passwords import hash_password, verify_password, weakness
from parkshare.problems import Problem
from parkshare.store import db
from parkshare.store.queries import load
from parkshare.tokens import Principal

SQL = load("auth")


class NewAccount(Protocol):
    @property
    def invite_code(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def password(self) -> str: ...
    @property
    def display_name(self) -> str: ...


class PasswordChange(Protocol):
    @property
    def current_password(self) -> str: ...
    @property
    def new_password(self) -> str: ...


async def sign_up(account: NewAccount) -> Any:
    """The new user's row."""
    _refuse_weak(account.password, account.email)
    # argon2 is deliberately slow: keep it off the event loop.
    password_hash = await asyncio.to_thread(hash_password, account.password)

    async def join(conn: db.AsyncConn) -> Any:
        cur = await conn.execute(
            SQL["sign_up"],
            {
                "code_hash": code_digest(account.invite_code),
                "email": account.email,
                "password_hash": password_hash,
                "display_name": account.display_name,
            },
        )
        return await cur.fetchone()

    return await db.run(None, None, join)


async def change_password(request: Request, user: Principal, change: PasswordChange) -> None:
    """Only with the current password; the database ends every other session of the user
    (`change_password`), and refuses if the password changed meanwhile."""

    async def mine(conn: db.AsyncConn) -> Any:
        return await (await conn.execute(SQL["my_password_hash"], {})).fetchone()

    row = await db.run(user.building_id, user.user_id, mine)
    stored = row["password_hash"]
    matches = await asyncio.to_thread(verify_password, stored, change.current_password)
    if not matches:
        await audit.security(
            "password_change_failed",
            connection=request,
            building_id=user.building_id,
            user_id=user.user_id,
        )
        raise Problem("invalid_credentials", "the current password is wrong")
    _refuse_weak(change.new_password, row["email"])
    new_hash = await asyncio.to_thread(hash_password, change.new_password)
    await db.value(
        user.building_id,
        user.user_id,
        SQL["change_password"],
        {"old_hash": stored, "new_hash": new_hash},
    )


def _refuse_weak(password: str, email: str | None) -> None:
    reason = weakness(password, email)
    if reason is not None:
        raise Problem("weak_password", f"choose another password: {reason}")
