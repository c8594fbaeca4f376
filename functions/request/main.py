"""/fn/request: any spot for a window. POST / books one at once (201) or leaves the request
waiting (202) until a window opens that serves it; GET / lists the caller's; POST /withdraw
takes one back."""

from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint
from parkshare.answers import SpotRequest, SpotRequests
from parkshare.http import Body, Call, Instant, Router, dumps
from parkshare.store import db
from parkshare.store.queries import load

SQL = load("functions")
router = Router("request")


class RequestBody(Body):
    start: Instant
    end: Instant


class WithdrawBody(Body):
    request_id: UUID


@router.route(
    "POST",
    body=RequestBody,
    status=201,
    also=(202,),
    errors=(
        "invalid_window",
        "insufficient_credits",
        "overlapping_reservation",
        "too_many_requests",
    ),
    summary="Ask for any spot for [start, end): 201 booked at once, 202 waiting",
    response=SpotRequest,
)
async def make(call: Call[RequestBody, None]) -> Any:
    params = {"start": call.body.start, "end": call.body.end}
    made = await db.value(call.user.building_id, call.user.user_id, SQL["make_request"], params)
    if made["status"] == "waiting":
        return Response(dumps(made), status_code=202, media_type="application/json")
    return made


@router.route(
    "GET",
    summary="The caller's requests, the waiting ones first",
    response=SpotRequests,
)
async def mine(call: Call[None, None]) -> Any:
    return await db.value(call.user.building_id, call.user.user_id, SQL["my_requests"])


@router.route(
    "POST",
    "/withdraw",
    body=WithdrawBody,
    errors=("request_not_found", "request_closed"),
    summary="Withdraw a waiting request of the caller's",
    response=SpotRequest,
)
async def withdraw(call: Call[WithdrawBody, None]) -> Any:
    params = {"request_id": call.body.request_id}
    return await db.value(call.user.building_id, call.user.user_id, SQL["withdraw_request"], params)


@entrypoint.http
async def request(request: Request) -> Response:
    return await router(request)
