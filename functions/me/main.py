"""/fn/me: the caller's page (GET: user, building, credits, spots, reservations, ledger) and
their profile (PATCH: display name)."""

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint, ops
from parkshare.answers import Me, ProfileChanged
from parkshare.http import Body, Call, Router
from parkshare.store import db
from parkshare.store.queries import load

SQL = load("functions")
router = Router("me")


class ProfileBody(Body):
    display_name: str = Field(min_length=1, max_length=100)


@router.route(
    "GET",
    summary="The caller's page: user, building, credits, spots, reservations, ledger",
    response=Me,
)
async def handle(call: Call[None, None]) -> Any:
    return await db.value(call.user.building_id, call.user.user_id, SQL["me"])


@router.route(
    "PATCH",
    body=ProfileBody,
    errors=("invalid_request",),
    summary="Change the caller's display name (their spots show it)",
    response=ProfileChanged,
)
async def profile(call: Call[ProfileBody, None]) -> Any:
    return await ops.update_profile(call.user, call.body.display_name)


@entrypoint.http
async def me(request: Request) -> Response:
    return await router(request)
