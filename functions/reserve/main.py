"""POST /fn/reserve {spot_id, start, end}: book a spot; optional Idempotency-Key header."""

from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint, ops
from parkshare.answers import Reservation
from parkshare.http import Body, Call, Instant, Router

router = Router("reserve")


class ReserveBody(Body):
    spot_id: UUID
    start: Instant
    end: Instant


@router.route(
    "POST",
    body=ReserveBody,
    status=201,
    errors=(
        "spot_not_found",
        "own_spot",
        "spot_unavailable",
        "spot_taken",
        "overlapping_reservation",
        "insufficient_credits",
        "invalid_window",
        "idempotency_mismatch",
    ),
    summary="Reserve a spot for [start, end); the cost moves from you to escrow",
    response=Reservation,
)
async def handle(call: Call[ReserveBody, None]) -> Any:
    body, key = call.body, call.request.headers.get(ops.IDEMPOTENCY_HEADER)
    return await ops.reserve(call.user, body.spot_id, body.start, body.end, key)


@entrypoint.http
async def reserve(request: Request) -> Response:
    return await router(request)
