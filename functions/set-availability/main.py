"""POST /fn/set-availability: the owner offers (or withdraws) their spot for a window."""

from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint, ops
from parkshare.answers import SpotAvailability
from parkshare.http import Body, Call, Instant, Router

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
    response=SpotAvailability,
)
async def handle(call: Call[SetAvailabilityBody, None]) -> Any:
    body = call.body
    return await ops.set_availability(
        call.user, body.spot_id, body.start, body.end, body.available, body.cancel_reservations
    )


@entrypoint.http
async def set_availability(request: Request) -> Response:
    return await router(request)
