"""/fn/notifications: the caller's notifications (GET /), marking them read (POST /read) and
their choices (GET and PUT /preferences)."""

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint, ops
from parkshare.answers import NotificationPreferences, Notifications
from parkshare.http import Body, Call, Query, Router
from parkshare.store import db
from parkshare.store.queries import load

SQL = load("functions")
router = Router("notifications")


class ListQuery(Query):
    # Shapes only: the range of limit (1-100) is the database's to refuse.
    before: int | None = None
    limit: int | None = None


class ReadBody(Body):
    # Exactly one of the two, as the procedure requires.
    ids: list[int] | None = None
    all_: bool | None = Field(default=None, alias="all")


class PreferencesBody(Body):
    # Known kinds, 0-1440 minutes and the locales are the database's to check.
    email: dict[str, bool] | None = None
    remind_minutes: int | None = None
    locale: str | None = None


@router.route(
    "GET",
    query=ListQuery,
    errors=("invalid_request",),
    summary="The caller's notifications, newest first, below `before`; and the unread count",
    response=Notifications,
)
async def mine(call: Call[None, ListQuery]) -> Any:
    params = {"before": call.query.before, "limit": call.query.limit}
    return await db.value(call.user.building_id, call.user.user_id, SQL["notifications"], params)


@router.route(
    "POST",
    "/read",
    body=ReadBody,
    status=204,
    errors=("invalid_request",),
    summary="Mark the caller's notifications `ids` read, or all of them",
)
async def read(call: Call[ReadBody, None]) -> None:
    await ops.mark_notifications_read(call.user, call.body.ids, call.body.all_)


@router.route(
    "GET",
    "/preferences",
    summary="The caller's choices: email per kind, reminder minutes, locale",
    response=NotificationPreferences,
)
async def preferences(call: Call[None, None]) -> Any:
    return await db.value(call.user.building_id, call.user.user_id, SQL["notification_preferences"])


@router.route(
    "PUT",
    "/preferences",
    body=PreferencesBody,
    errors=("invalid_request",),
    summary="Change the caller's choices (email merged per kind); answers them all",
    response=NotificationPreferences,
)
async def set_preferences(call: Call[PreferencesBody, None]) -> Any:
    body = call.body
    return await ops.set_notification_preferences(
        call.user, body.email, body.remind_minutes, body.locale
    )


@entrypoint.http
async def notifications(request: Request) -> Response:
    return await router(request)
