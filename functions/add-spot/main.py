"""POST /fn/add-spot {label, location?, notes?}: the caller adds a spot they own."""

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint, ops
from parkshare.answers import Spot
from parkshare.http import Body, Call, Router

router = Router("add-spot")


class AddSpotBody(Body):
    label: str = Field(min_length=1, max_length=32, examples=["B2-17"])
    location: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)


@router.route(
    "POST",
    body=AddSpotBody,
    status=201,
    errors=("label_taken", "invalid_request"),
    summary="Add a spot owned by the caller",
    response=Spot,
)
async def handle(call: Call[AddSpotBody, None]) -> Any:
    body = call.body
    return await ops.add_spot(call.user, body.label, body.location, body.notes)


@entrypoint.http
async def add_spot(request: Request) -> Response:
    return await router(request)
