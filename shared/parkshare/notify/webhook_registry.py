"""An admin's webhooks: registering one (its secret made here, answered once and stored
sealed), listing them and removing one. Whether the caller is an admin, the URL's shape and
the event types are the procedures' to decide (sql/repeatable/webhooks.sql); whether the
host resolves to public addresses needs DNS, so it is decided here, in the transaction of the
insert, so that a resident is told `forbidden` before anything about their URL."""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from parkshare.config import get_settings
from parkshare.identity.sealed import open_sealed, seal
from parkshare.notify.addresses import Refused, resolve
from parkshare.problems import Problem
from parkshare.store import db
from parkshare.store.queries import load
from parkshare.tokens import Principal

SQL = load("functions")
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def seal_secret(secret: str, building_id: UUID) -> bytes:
    return seal(secret.encode(), building_id.bytes)


def open_secret(sealed: bytes, building_id: UUID) -> str:
    """The secret as it was answered at creation; `Unsealable` if the key changed since."""
    return open_sealed(sealed, building_id.bytes).decode()


async def create(admin: Principal, url: str, events: list[str]) -> dict[str, Any]:
    secret = new_secret()
    params = {"url": url, "events": events, "secret": seal_secret(secret, admin.building_id)}
    allow_loopback = get_settings().webhooks_allow_loopback

    async def work(conn: db.AsyncConn) -> dict[str, Any]:
        row = await (await conn.execute(SQL["create_webhook"], params)).fetchone()
        assert row is not None
        try:
            await resolve(url, allow_loopback=allow_loopback)
        except Refused as exc:
            # Raised inside the transaction: the row just inserted is rolled back with it.
            raise Problem("invalid_webhook", str(exc)) from None
        made: dict[str, Any] = row["webhook"]
        return made

    made = await db.run(admin.building_id, admin.user_id, work)
    return {**made, "secret": secret}
