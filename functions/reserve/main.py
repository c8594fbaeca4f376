"""POST /fn/reserve {spot_id, start, end}: book a spot; optional Idempotency-Key header."""

import hashlib
from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from parkshare import db, entrypoint
from parkshare.http import Body, Call, Instant, Router
from parkshare.problems import Problem
from parkshare.queries import load

SQL = load("functions")
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
)
async def handle(call: Call[ReserveBody, None]) -> Any:
    key = call.request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 200:
        raise Problem("invalid_request", "Idempotency-Key must be 1 to 200 characters")
    params = call.body.model_dump() | {
        "key": key,
        # The same key with another body is refused; compare the canonical body.
        "request_hash": hashlib.sha256(call.body.model_dump_json().encode()).hexdigest(),
    }

    return await db.value(call.user.building_id, call.user.user_id, SQL["reserve"], params)


@entrypoint.http
async def reserve(request: Request) -> Response:
    return await router(request)
