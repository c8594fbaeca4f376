"""GET /fn/me: the caller, their credits, spots, reservations and ledger."""

from typing import Any

import functions_framework.aio
from starlette.requests import Request
from starlette.responses import Response

from parkshare import db
from parkshare.http import Call, Router
from parkshare.queries import load

SQL = load("functions")
router = Router("me")


@router.route("GET", summary="The caller's page: user, credits, spots, reservations, ledger")
async def handle(call: Call[None, None]) -> Any:
    async def work(conn: db.AsyncConn) -> Any:
        cur = await conn.execute(SQL["me"])
        return (await cur.fetchone() or {})["me"]

    return await db.run(call.user.building_id, call.user.user_id, work)


@functions_framework.aio.http
async def me(request: Request) -> Response:
    return await router(request)
