"""POST /fn/set-availability: the owner offers (or withdraws) their spot for a window."""

from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from parkshare import db, entrypoint
from parkshare.http import Body, Call, Instant, Router
from parkshare.queries import load

SQL = load("functions")
router = Router("set-availability")


class SetAvailabilityBody(Body):
    spot_id: UUID
    start: Instant
    end: Instant
    available: bool
    cancel_reservations: bool = False


@router.route(
    "POST",
    body=SetAvailabilityBody,
    errors=("not_owner", "spot_not_found", "has_reservations", "invalid_window"),
    summary="Offer or withdraw a spot for [start, end); windows merge",
)
async def handle(call: Call[SetAvailabilityBody, None]) -> Any:
    windows = await db.value(
        call.user.building_id, call.user.user_id, SQL["set_availability"], call.body.model_dump()
    )
    return {"spot_id": call.body.spot_id, "availability": windows}


@entrypoint.http
async def set_availability(request: Request) -> Response:
    return await router(request)
