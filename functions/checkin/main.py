"""POST /fn/checkin {reservation_id}: the parker checks in, from 15 minutes before the start
until the building's grace after it; a booking nobody checks in to becomes a no-show."""

from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint
from parkshare.answers import Reservation
from parkshare.http import Body, Call, Router
from parkshare.store import db
from parkshare.store.queries import load

SQL = load("functions")
router = Router("checkin")


class CheckinBody(Body):
    reservation_id: UUID


@router.route(
    "POST",
    body=CheckinBody,
    errors=("reservation_not_found", "not_yours", "checkin_closed"),
    summary="Check in to your booking; checking in again answers the first check-in",
    response=Reservation,
)
async def handle(call: Call[CheckinBody, None]) -> Any:
    params = {"reservation_id": call.body.reservation_id}
    return await db.value(call.user.building_id, call.user.user_id, SQL["checkin"], params)


@entrypoint.http
async def checkin(request: Request) -> Response:
    return await router(request)
