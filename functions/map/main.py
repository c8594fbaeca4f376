"""/fn/map: the garage map for any resident of the building: its levels with a plan and where
each spot is drawn (GET /), and one level's plan image (GET /plan?level=), revalidated by its
version. The admin draws the map through /fn/admin/plans."""

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint
from parkshare.answers import GarageMap, PlanImage
from parkshare.http import Call, JsonText, Query, Router, file_answer
from parkshare.store import db
from parkshare.store.queries import load

SQL = load("map")
router = Router("map")


class PlanQuery(Query):
    level: str = Field(min_length=1, max_length=60)


@router.route(
    "GET",
    summary="The building's levels with a plan (and each one's version) and every placed spot",
    response=GarageMap,
)
async def garage_map(call: Call[None, None]) -> Any:
    return JsonText(await db.json_text(call.user.building_id, call.user.user_id, SQL["garage_map"]))


@router.route(
    "GET",
    "/plan",
    query=PlanQuery,
    errors=("level_not_found",),
    summary="A level's plan image in its own type, with its version as ETag (304 when held)",
    response=PlanImage,
)
async def plan(call: Call[None, PlanQuery]) -> Response:
    async def work(conn: db.AsyncConn) -> Any:
        return await (await conn.execute(SQL["level_plan"], {"level": call.query.level})).fetchone()

    row = await db.run(call.user.building_id, call.user.user_id, work)
    return file_answer(call.request, bytes(row["image"]), row["media_type"], row["version"])


@entrypoint.http
async def map(request: Request) -> Response:
    return await router(request)
