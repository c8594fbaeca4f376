"""Lobby display tokens: 32 random bytes in unpadded base64url, made here, shown to the admin
once and kept by the database as their SHA-256 only (sql/repeatable/displays.sql). A screen
presents its token as `Authorization: Display <token>` to GET /fn/board, and to the relay as
the subprotocols `display, <token>` (browsers cannot set a socket's headers)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

import psycopg

from parkshare.problems import Problem, problem_from_db_error
from parkshare.store import db
from parkshare.store.queries import load

SCHEME = "display"
SQL = load("displays")
_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


class RefusedDisplay(Exception):
    """The token is malformed, unknown or revoked."""


@dataclass(frozen=True, slots=True)
class Display:
    display_id: UUID
    building_id: UUID


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def well_formed(token: str) -> bool:
    """Whether `token` could be one we made: anything else opens nothing, unasked."""
    return _SHAPE.fullmatch(token) is not None


_CHALLENGE = {"WWW-Authenticate": 'Display realm="parkshare"'}
_REFUSED = "this display token is unknown or was revoked"


def header_token(headers: Mapping[str, str]) -> str:
    """The token of `Authorization: Display <token>`, or the Problem a board answers."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != SCHEME or not token.strip():
        raise Problem("unauthenticated", "send Authorization: Display <token>", headers=_CHALLENGE)
    token = token.strip()
    if not well_formed(token):
        raise Problem("invalid_token", _REFUSED, headers=_CHALLENGE)
    return token


async def board_json(headers: Mapping[str, str]) -> str:
    """The board (as PostgreSQL wrote its JSON) of the display the request's token is for."""
    params = {"token_hash": token_hash(header_token(headers))}
    try:
        return await db.json_text(None, None, SQL["board"], params)
    except psycopg.Error as exc:
        problem = problem_from_db_error(exc)
        if problem.code == "invalid_token":
            problem.headers.update(_CHALLENGE)
        raise problem from exc


async def open_display(token: str) -> Display:
    """The display `token` is for, unless it is malformed, unknown or revoked
    (RefusedDisplay); a database that does not answer raises its psycopg error."""
    if not well_formed(token):
        raise RefusedDisplay("malformed display token")

    async def work(conn: db.AsyncConn) -> Display:
        row = await (await conn.execute(SQL["open"], {"token_hash": token_hash(token)})).fetchone()
        assert row is not None
        return Display(row["display_id"], row["building_id"])

    try:
        return await db.run(None, None, work)
    except psycopg.Error as exc:
        if problem_from_db_error(exc).code == "invalid_token":
            raise RefusedDisplay(_REFUSED) from exc
        raise


async def still_live(display_ids: set[UUID]) -> set[UUID]:
    """Those of `display_ids` not revoked since their sockets opened."""

    async def work(conn: db.AsyncConn) -> set[UUID]:
        rows = await (await conn.execute(SQL["live"], {"ids": list(display_ids)})).fetchall()
        return {row["id"] for row in rows}

    return await db.run(None, None, work)
