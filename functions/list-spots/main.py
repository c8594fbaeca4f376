"""GET /fn/list-spots?start=&end=&available_only=: the garage over a window."""

from datetime import UTC, datetime, timedelta
from typing import Any

import functions_framework.aio
from pydantic import AwareDatetime
from starlette.requests import Request
from starlette.responses import Response

from parkshare import db
from parkshare.http import Call, Query, Router
from parkshare.problems import Problem
from parkshare.queries import load

SQL = load("functions")
router = Router("list-spots")
DEFAULT_SPAN = timedelta(hours=24)
# A view is for screens: a month is already more than any of them shows.
LONGEST_SPAN = timedelta(days=62)


class ListSpotsQuery(Query):
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    available_only: bool = False


@router.route(
    "GET",
    query=ListSpotsQuery,
    errors=("invalid_window",),
    summary="Every spot with its status now and over the window (default: the next 24 h)",
)
async def handle(call: Call[None, ListSpotsQuery]) -> Any:
    start = call.query.start or datetime.now(UTC)
    end = call.query.end or start + DEFAULT_SPAN
    if end <= start or end - start > LONGEST_SPAN:
        raise Problem(
            "invalid_window", f"end must follow start, by at most {LONGEST_SPAN.days} days"
        )
    params = {"start": start, "end": end, "available_only": call.query.available_only}

    spots = await db.value(call.user.building_id, call.user.user_id, SQL["list_spots"], params)
    return {"spots": spots}


@functions_framework.aio.http
async def list_spots(request: Request) -> Response:
    return await router(request)
