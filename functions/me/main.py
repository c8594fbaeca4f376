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
    return await db.value(call.user.building_id, call.user.user_id, SQL["me"])


@functions_framework.aio.http
async def me(request: Request) -> Response:
    return await router(request)
