"""Security events the functions observe, written to the append-only audit log.

Admin actions are written by their own procedures, in the transaction of the change. What is
written from here is what was refused (a failed login, a refused token, a rate limit, a
failed single sign-on), so there is no transaction to join: each entry is its own. Writing
one never fails the request: an unreachable database is logged and the answer stands.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from uuid import UUID

import psycopg
from starlette.requests import HTTPConnection

from parkshare.store import db
from parkshare.store.queries import load

SQL = load("auth")
log = logging.getLogger("parkshare.audit")


def address_of(connection: HTTPConnection) -> str | None:
    """The peer as the server saw it (behind a proxy, the server is told to trust its
    forwarding header; reading one here would let a client write any address)."""
    return connection.client.host if connection.client else None


async def security(
    action: str,
    *,
    connection: HTTPConnection | None = None,
    building_id: UUID | None = None,
    user_id: UUID | None = None,
    **detail: Any,
) -> None:
    """Write `security.<action>`, attributed to a building and user only when known for
    certain (a verified token, an address on file), never from what a client merely claims."""
    if connection is not None:
        detail.setdefault("path", connection.url.path)
    # Bounded: what a client sent (an address, a reason) must not bloat the log.
    detail = {k: v[:300] if isinstance(v, str) else v for k, v in detail.items()}
    params = {
        "action": f"security.{action}",
        "building_id": building_id,
        "user_id": user_id,
        "address": address_of(connection) if connection is not None else None,
        "detail": json.dumps(detail, default=str),
    }

    async def write(conn: db.AsyncConn) -> None:
        await conn.execute(SQL["audit_security"], params)

    try:
        await db.run(None, None, write)
    except (psycopg.Error, OSError) as exc:
        log.warning("audit entry %s not written: %s", params["action"], exc)
