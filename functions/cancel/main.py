"""POST /fn/cancel {reservation_id}: the parker, or the spot's owner, cancels before the start."""

from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint, ops
from parkshare.answers import Reservation
from parkshare.http import Body, Call, Router

router = Router("cancel")


class CancelBody(Body):
    reservation_id: UUID


@router.route(
    "POST",
    body=CancelBody,
    errors=("reservation_not_found", "not_yours", "already_started"),
    summary="Cancel a reservation; the parker is refunded in full",
    response=Reservation,
)
async def handle(call: Call[CancelBody, None]) -> Any:
    return await ops.cancel(call.user, call.body.reservation_id)


@entrypoint.http
async def cancel(request: Request) -> Response:
    return await router(request)
