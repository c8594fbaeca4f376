"""GET /fn/board with `Authorization: Display <token>`: what a lobby display shows, the
building's name and time zone and each spot's label, location, state now and next change.
Nobody's name or id: the screen hangs where anyone passes."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint
from parkshare.answers import Board
from parkshare.http import Call, JsonText, Router
from parkshare.identity import displays

router = Router("board")


@router.route(
    "GET",
    auth=False,
    scheme="display",
    errors=("unauthenticated", "invalid_token"),
    summary="The lobby board: the garage now, spot by spot, without anyone's name",
    response=Board,
)
async def show(call: Call[None, None]) -> Any:
    return JsonText(await displays.board_json(call.request.headers))


@entrypoint.http
async def board(request: Request) -> Response:
    return await router(request)
