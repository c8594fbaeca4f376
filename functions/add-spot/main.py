"""POST /fn/add-spot {label, location?, notes?}: the caller adds a spot they own."""

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from parkshare import db, entrypoint
from parkshare.http import Body, Call, Router
from parkshare.queries import load

SQL = load("functions")
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
)
async def handle(call: Call[AddSpotBody, None]) -> Any:
    return await db.value(
        call.user.building_id, call.user.user_id, SQL["add_spot"], call.body.model_dump()
    )


@entrypoint.http
async def add_spot(request: Request) -> Response:
    return await router(request)
