"""/fn/recurring: an owner's spot shared every week (POST /), the caller's patterns (GET /),
time off (POST /pause) and the end of a pattern (POST /stop)."""

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint, ops
from parkshare.answers import Pattern, Patterns, RecurringSummaries
from parkshare.http import Body, Call, Router
from parkshare.store import db
from parkshare.store.queries import load

SQL = load("functions")
router = Router("recurring")


class PatternBody(Body):
    # Shapes only: the ranges (weekdays 1-7, "HH:MM", every_weeks 1-4, the dates) are the
    # database's to refuse, as invalid_pattern.
    spot_id: UUID
    weekdays: list[int]
    from_: str = Field(alias="from")
    until: str
    every_weeks: int = 1
    starts_on: date | None = None
    ends_on: date | None = None


class PauseBody(Body):
    pattern_id: UUID
    start_date: date
    end_date: date
    cancel_reservations: bool = False


class StopBody(Body):
    pattern_id: UUID
    cancel_reservations: bool = False


@router.route(
    "POST",
    body=PatternBody,
    status=201,
    errors=("spot_not_found", "not_owner", "invalid_pattern"),
    summary="Share a spot every week; its windows are made up to the horizon at once",
    response=Pattern,
)
async def create(call: Call[PatternBody, None]) -> Any:
    body = call.body
    return await ops.create_pattern(
        call.user,
        body.spot_id,
        body.weekdays,
        body.from_,
        body.until,
        body.every_weeks,
        body.starts_on,
        body.ends_on,
    )


@router.route("GET", summary="The caller's patterns", response=Patterns)
async def mine(call: Call[None, None]) -> Any:
    return await db.value(call.user.building_id, call.user.user_id, SQL["patterns"])


@router.route(
    "GET",
    "/summaries",
    summary="What each recurring spot of the building says on its garage card",
    response=RecurringSummaries,
)
async def summaries(call: Call[None, None]) -> Any:
    found = await db.value(call.user.building_id, call.user.user_id, SQL["recurring_summaries"])
    return {"summaries": found}


@router.route(
    "POST",
    "/pause",
    body=PauseBody,
    errors=("pattern_not_found", "has_reservations", "invalid_pattern"),
    summary="Time off: no occurrences from start_date to end_date; their windows withdrawn",
    response=Pattern,
)
async def pause(call: Call[PauseBody, None]) -> Any:
    body = call.body
    return await ops.pause_pattern(
        call.user, body.pattern_id, body.start_date, body.end_date, body.cancel_reservations
    )


@router.route(
    "POST",
    "/stop",
    body=StopBody,
    errors=("pattern_not_found", "has_reservations"),
    summary="Stop a pattern; the windows of its occurrences not yet started are withdrawn",
    response=Pattern,
)
async def stop(call: Call[StopBody, None]) -> Any:
    return await ops.stop_pattern(call.user, call.body.pattern_id, call.body.cancel_reservations)


@entrypoint.http
async def recurring(request: Request) -> Response:
    return await router(request)
