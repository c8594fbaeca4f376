"""POST /fn/cancel {reservation_id}: the parker, or the spot's owner, cancels before the start."""

from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from parkshare import db, entrypoint
from parkshare.http import Body, Call, Router
from parkshare.queries import load

SQL = load("functions")
router = Router("cancel")


class CancelBody(Body):
    reservation_id: UUID


@router.route(
    "POST",
    body=CancelBody,
    errors=("reservation_not_found", "not_yours", "already_started"),
    summary="Cancel a reservation; the parker is refunded in full",
)
async def handle(call: Call[CancelBody, None]) -> Any:
    return await db.value(
        call.user.building_id, call.user.user_id, SQL["cancel"], call.body.model_dump()
    )


@entrypoint.http
async def cancel(request: Request) -> Response:
    return await router(request)
