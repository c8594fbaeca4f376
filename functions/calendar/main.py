"""/fn/calendar: the caller's secret calendar feed URL (GET /), a new one in its place
(POST /rotate), and the feed itself (GET /feed/<token>.ics), which calendar clients fetch
without credentials: the token in the URL is the secret."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint
from parkshare.answers import CalendarFile, CalendarLink
from parkshare.calendar import feed as ics
from parkshare.calendar.links import my_feed_url
from parkshare.calendar.tokens import token_hash, well_formed
from parkshare.http import Call, Router
from parkshare.problems import Problem
from parkshare.store import db
from parkshare.store.queries import load

SQL = load("calendar")
router = Router("calendar")


@router.route(
    "GET",
    summary="The caller's calendar feed URL (the same until rotated)",
    response=CalendarLink,
)
async def link(call: Call[None, None]) -> Any:
    return {"url": await my_feed_url(call.user)}


@router.route(
    "POST",
    "/rotate",
    summary="A new calendar feed URL for the caller; the old one stops working",
    response=CalendarLink,
)
async def rotate(call: Call[None, None]) -> Any:
    return {"url": await my_feed_url(call.user, rotate=True)}


@router.route(
    "GET",
    "/feed/{token}.ics",
    auth=False,
    errors=("calendar_not_found",),
    summary="The feed: the resident's bookings as parker and as owner, from 30 days ago on",
    response=CalendarFile,
)
async def feed(call: Call[None, None]) -> Response:
    token = call.params["token"]
    if not well_formed(token):
        raise Problem("calendar_not_found", "no calendar at this address")
    found = await db.value(None, None, SQL["feed"], {"token_hash": token_hash(token)})
    return ics.answer(found, call.request.headers)


@entrypoint.http
async def calendar(request: Request) -> Response:
    return await router(request)
