"""A resident's feed URL: shown again as it is, or rotated (the old one stops working)."""

from __future__ import annotations

from parkshare.calendar.tokens import feed_token, token_hash
from parkshare.config import get_settings
from parkshare.store import db
from parkshare.store.queries import load
from parkshare.tokens import Principal

SQL = load("calendar")


def feed_url(token: str) -> str:
    return f"{get_settings().calendar_base}/feed/{token}.ics"


async def my_feed_url(user: Principal, *, rotate: bool = False) -> str:
    """The caller's feed URL (made on first use), or with `rotate` the next one."""

    async def work(conn: db.AsyncConn) -> str:
        # The key is the server's, never the database's: the database says which generation,
        # locks it, and stores the hash of the token made here.
        row = await (await conn.execute(SQL["generation"], {"rotate": rotate})).fetchone()
        assert row is not None
        generation = int(row["generation"])
        token = feed_token(user.building_id, user.user_id, generation)
        params = {"generation": generation, "token_hash": token_hash(token)}
        await conn.execute(SQL["set_calendar"], params)
        return feed_url(token)

    return await db.run(user.building_id, user.user_id, work)
