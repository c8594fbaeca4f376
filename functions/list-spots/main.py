"""GET /fn/list-spots?start=&end=&available_only=: the garage over a window."""

from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint
from parkshare.answers import Garage
from parkshare.http import Call, Instant, JsonText, Query, Router
from parkshare.store import db
from parkshare.store.queries import load
from parkshare.windows import view_window

SQL = load("functions")
router = Router("list-spots")


class ListSpotsQuery(Query):
    start: Instant | None = None
    end: Instant | None = None
    available_only: bool = False


@router.route(
    "GET",
    query=ListSpotsQuery,
    errors=("invalid_window",),
    summary="Every spot with its status now and over the window (default: the next 24 h)",
    response=Garage,
)
async def handle(call: Call[None, ListSpotsQuery]) -> JsonText:
    start, end = view_window(call.query.start, call.query.end)
    params = {"start": start, "end": end, "available_only": call.query.available_only}

    spots = await db.json_text(call.user.building_id, call.user.user_id, SQL["list_spots"], params)
    return JsonText(f'{{"spots":{spots}}}')


@entrypoint.http
async def list_spots(request: Request) -> Response:
    return await router(request)
