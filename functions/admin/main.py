"""/fn/admin: what a building's admin does — invite residents (one or many), see them with
their balances, disable and enable them, adjust credits, set the policy and the building's
single sign-on, read the ledger, the audit log, the email deliveries and how the garage is
used, export any of it as CSV, register the building's webhooks and its lobby displays, and draw
the garage map (a plan per level, each spot placed on one).

Whether the caller is an admin is decided by the procedures (ps_admin), not here; each of
them writes its audit entry in the same transaction as its change.
"""

from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint, exports, ops
from parkshare.answers import (
    AdminLedger,
    AuditLog,
    CreditAdjustment,
    CsvFile,
    Deliveries,
    DisableSummary,
    DisplayCreated,
    Displays,
    Invite,
    Invites,
    MapLevel,
    Policy,
    Residents,
    SpotPosition,
    SsoConfigured,
    SsoState,
    Utilization,
    WebhookCreated,
    Webhooks,
)
from parkshare.http import Body, Call, Instant, Query, Router, read_bytes
from parkshare.identity import displays, invites
from parkshare.identity.email_address import EMAIL_PATTERN
from parkshare.identity.sso import settings as sso_settings
from parkshare.notify import webhook_registry
from parkshare.store import db
from parkshare.store.queries import load

SQL = load("functions")
EXPORTS = load("exports")
DISPLAYS = load("displays")
MAP = load("map")
router = Router("admin")
Role = Literal["resident", "admin"]
# The database refuses a plan over 2 MiB (image_too_large); reading stops a body far larger
# than any plan before it is held whole in memory (payload_too_large).
PLAN_READ_BYTES = 2 * 1024 * 1024 + 64 * 1024
PLAN_TYPES = ("image/png", "image/jpeg", "image/webp")


class InviteBody(Body):
    role: Role = "resident"
    # If given, only this address can sign up with the code.
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)


class BulkInviteBody(Body):
    invites: list[InviteBody] = Field(min_length=1, max_length=200)


class CreditsBody(Body):
    user_id: UUID
    amount: int = Field(ge=-1_000_000, le=1_000_000)
    reason: str = Field(min_length=1, max_length=500)


class UserBody(Body):
    user_id: UUID


class PolicyBody(Body):
    cost: int | None = Field(default=None, ge=0, le=1_000_000)
    starting_credits: int | None = Field(default=None, ge=0, le=1_000_000)
    max_hours: int | None = Field(default=None, ge=1, le=744)
    horizon_days: int | None = Field(default=None, ge=1, le=400)
    checkin_grace_minutes: int | None = Field(default=None, ge=0, le=120)
    # At most the cost: the database's to check, against the cost after this change.
    no_show_owner_share: int | None = Field(default=None, ge=0, le=1_000_000)


class SsoBody(Body):
    issuer: str = Field(max_length=500, pattern=r"^https?://\S+$")
    client_id: str = Field(min_length=1, max_length=500)
    # Write-only: stored sealed, never answered. Omitted keeps the stored one.
    client_secret: str | None = Field(default=None, min_length=1, max_length=1000)
    clear_client_secret: bool = False
    email_domain: str | None = Field(default=None, max_length=253)
    required_group: str | None = Field(default=None, min_length=1, max_length=200)


class WebhookBody(Body):
    # Shapes only: the URL's form and the event types are the database's to check, the
    # addresses its host resolves to webhook_registry's.
    url: str = Field(max_length=2000)
    events: list[str] = Field(max_length=20)


class WebhookRef(Body):
    webhook_id: UUID


class DisplayBody(Body):
    # Its shape is the database's to check (plain text, 1-100 characters once trimmed).
    name: str = Field(max_length=200)


class DisplayRef(Body):
    display_id: UUID


class PlaceBody(Body):
    spot_id: UUID
    level: str = Field(min_length=1, max_length=60)
    # Fractions of the plan's width and height: [0, 1] is the database's to check.
    x: float
    y: float


class SpotRef(Body):
    spot_id: UUID


class PageQuery(Query):
    # An entry's id is a bigint: a larger `before` names no page.
    before: int | None = Field(default=None, ge=1, le=2**63 - 1)
    limit: int = Field(default=100, ge=1, le=500)


class LedgerQuery(PageQuery):
    user_id: UUID | None = None


class AuditQuery(PageQuery):
    # A whole action (`admin.user_disabled`) or a kind ending in a dot (`security.`).
    action: str | None = Field(default=None, max_length=100, pattern=r"^[a-z_.]+$")


class DeliveriesQuery(Query):
    state: Literal["pending", "sending", "sent", "failed", "skipped"] | None = None
    limit: int = Field(default=100, ge=1, le=500)


class UtilizationQuery(Query):
    # Both optional: the procedure defaults to the last seven local days up to now.
    start: Instant | None = None
    end: Instant | None = None


class ExportQuery(Query):
    kind: Literal["reservations", "ledger", "utilization"]
    # Required, and at most 366 days apart: the procedure decides the window.
    start: Instant
    end: Instant


async def _one(call: Call[Any, Any], query: str, params: dict[str, Any] | None = None) -> Any:
    return await db.value(call.user.building_id, call.user.user_id, query, params)


@router.route(
    "POST",
    "/invites",
    body=InviteBody,
    status=201,
    errors=("forbidden", "invalid_request"),
    summary="Create an invite code (shown once) for a new resident or admin",
    response=Invite,
)
async def invite(call: Call[InviteBody, None]) -> Any:
    (made,) = await invites.create(call.user, [call.body])
    if made["email"] is None:
        del made["email"]
    return made


@router.route(
    "POST",
    "/invites/bulk",
    body=BulkInviteBody,
    status=201,
    errors=("forbidden", "invalid_request"),
    summary="Create up to 200 invites at once, each for its own address",
    response=Invites,
)
async def invites_bulk(call: Call[BulkInviteBody, None]) -> Any:
    return {"invites": await invites.create(call.user, call.body.invites)}


@router.route(
    "GET",
    "/residents",
    errors=("forbidden",),
    summary="Everyone in the building with their balance, spots and upcoming bookings",
    response=Residents,
)
async def residents(call: Call[None, None]) -> Any:
    return {"residents": await _one(call, SQL["admin_residents"])}


@router.route(
    "POST",
    "/residents/disable",
    body=UserBody,
    errors=("forbidden", "user_not_found", "conflict"),
    summary="Disable a resident: bookings not yet started are cancelled and refunded, their"
    " spots withdrawn from then on, their sessions ended",
    response=DisableSummary,
)
async def disable(call: Call[UserBody, None]) -> Any:
    return await _one(call, SQL["disable_user"], {"user_id": call.body.user_id})


@router.route(
    "POST",
    "/residents/enable",
    body=UserBody,
    status=204,
    errors=("forbidden", "user_not_found"),
    summary="Let a disabled resident sign in again",
)
async def enable(call: Call[UserBody, None]) -> None:
    await _one(call, SQL["enable_user"], {"user_id": call.body.user_id})


@router.route(
    "POST",
    "/credits",
    body=CreditsBody,
    status=201,
    errors=("forbidden", "user_not_found", "insufficient_credits", "invalid_request"),
    summary="Grant (positive) or deduct (negative) credits with a reason",
    response=CreditAdjustment,
)
async def credits(call: Call[CreditsBody, None]) -> Any:
    body = call.body
    return await ops.adjust_credits(call.user, body.user_id, body.amount, body.reason)


@router.route(
    "PATCH",
    "/policy",
    body=PolicyBody,
    errors=("forbidden", "invalid_request"),
    summary="Change the policy (omitted fields stay); bookings already made keep theirs",
    response=Policy,
)
async def policy(call: Call[PolicyBody, None]) -> Any:
    return await _one(call, SQL["set_policy"], call.body.model_dump())


@router.route(
    "GET",
    "/ledger",
    query=LedgerQuery,
    errors=("forbidden", "user_not_found"),
    summary="The building's ledger (or one resident's), newest first; page with `before`",
    response=AdminLedger,
)
async def ledger(call: Call[None, LedgerQuery]) -> Any:
    return {"entries": await _one(call, SQL["admin_ledger"], call.query.model_dump())}


@router.route(
    "GET",
    "/audit",
    query=AuditQuery,
    errors=("forbidden",),
    summary="The building's audit log, newest first; page with `before`",
    response=AuditLog,
)
async def audit_log(call: Call[None, AuditQuery]) -> Any:
    return {"entries": await _one(call, SQL["admin_audit"], call.query.model_dump())}


@router.route(
    "GET",
    "/deliveries",
    query=DeliveriesQuery,
    errors=("forbidden",),
    summary="The building's email deliveries, newest first, optionally in one state",
    response=Deliveries,
)
async def deliveries(call: Call[None, DeliveriesQuery]) -> Any:
    return {"deliveries": await _one(call, SQL["admin_deliveries"], call.query.model_dump())}


@router.route(
    "GET",
    "/utilization",
    query=UtilizationQuery,
    errors=("forbidden", "invalid_window"),
    summary="Hours offered and booked per local day and per spot (default: the last 7 days)",
    response=Utilization,
)
async def utilization(call: Call[None, UtilizationQuery]) -> Any:
    return await _one(call, SQL["admin_utilization"], call.query.model_dump())


@router.route(
    "GET",
    "/export",
    query=ExportQuery,
    errors=("forbidden", "invalid_window"),
    summary="The building's reservations, ledger or per-day utilization over [start, end) as"
    " CSV (at most 366 days), streamed",
    response=CsvFile,
)
async def export(call: Call[None, ExportQuery]) -> Response:
    q = call.query
    # Named by the dates of its first and last instants in the offsets the request wrote
    # them with: [local midnight, the next local midnight) is one day of the caller's.
    last = q.end - timedelta(microseconds=1)
    name = f"parkshare-{q.kind}-{q.start.date().isoformat()}-{last.date().isoformat()}.csv"
    window = {"start": q.start, "end": q.end}
    return await exports.csv_answer(call.user, EXPORTS[q.kind], window, name)


@router.route(
    "GET",
    "/sso",
    errors=("forbidden",),
    summary="The building's single sign-on settings (never the client secret)",
    response=SsoState,
)
async def sso(call: Call[None, None]) -> Any:
    return {"sso": await _one(call, SQL["sso_settings"])}


@router.route(
    "PUT",
    "/sso",
    body=SsoBody,
    errors=("forbidden", "invalid_request"),
    summary="Set the building's OpenID Connect provider; the client secret is write-only",
    response=SsoConfigured,
)
async def set_sso(call: Call[SsoBody, None]) -> Any:
    return {"sso": await sso_settings.save(call.user, call.body.model_dump())}


@router.route(
    "DELETE",
    "/sso",
    status=204,
    errors=("forbidden",),
    summary="Turn single sign-on off (its residents keep their accounts)",
)
async def remove_sso(call: Call[None, None]) -> None:
    await _one(call, SQL["remove_sso"])


@router.route(
    "POST",
    "/webhooks",
    body=WebhookBody,
    status=201,
    errors=("forbidden", "invalid_webhook", "invalid_request"),
    summary="Register a webhook for the building's events; its signing secret is shown once",
    response=WebhookCreated,
)
async def create_webhook(call: Call[WebhookBody, None]) -> Any:
    return await webhook_registry.create(call.user, call.body.url, call.body.events)


@router.route(
    "GET",
    "/webhooks",
    errors=("forbidden",),
    summary="The building's webhooks and each one's last delivery attempt (never the secrets)",
    response=Webhooks,
)
async def webhooks(call: Call[None, None]) -> Any:
    return await _one(call, SQL["admin_webhooks"])


@router.route(
    "POST",
    "/webhooks/delete",
    body=WebhookRef,
    status=204,
    errors=("forbidden", "webhook_not_found"),
    summary="Remove a webhook with its delivery log",
)
async def delete_webhook(call: Call[WebhookRef, None]) -> None:
    await _one(call, SQL["delete_webhook"], {"webhook_id": call.body.webhook_id})


@router.route(
    "POST",
    "/displays",
    body=DisplayBody,
    status=201,
    errors=("forbidden", "invalid_request"),
    summary="Create a lobby display; its token (for /board#<token>) is shown once",
    response=DisplayCreated,
)
async def create_display(call: Call[DisplayBody, None]) -> Any:
    token = displays.new_token()
    params = {"name": call.body.name, "token_hash": displays.token_hash(token)}
    made = await _one(call, DISPLAYS["create_display"], params)
    return {"id": made["id"], "name": made["name"], "token": token}


@router.route(
    "GET",
    "/displays",
    errors=("forbidden",),
    summary="The building's lobby displays not revoked, with when each was last seen",
    response=Displays,
)
async def list_displays(call: Call[None, None]) -> Any:
    return await _one(call, DISPLAYS["admin_displays"])


@router.route(
    "POST",
    "/displays/revoke",
    body=DisplayRef,
    status=204,
    errors=("forbidden", "display_not_found"),
    summary="Revoke a lobby display: its board answers 401 and its live sockets close (4401)",
)
async def revoke_display(call: Call[DisplayRef, None]) -> None:
    await _one(call, DISPLAYS["revoke_display"], {"display_id": call.body.display_id})


@router.route(
    "PUT",
    "/plans/{level}",
    upload=PLAN_TYPES,
    errors=("forbidden", "invalid_image", "image_too_large", "invalid_request"),
    summary="Set a level's plan: the body is the image itself (PNG, JPEG or WebP, at most"
    " 2 MiB), its type read from its bytes whatever the Content-Type says",
    response=MapLevel,
)
async def set_plan(call: Call[None, None]) -> Any:
    image = await read_bytes(call.request, PLAN_READ_BYTES)
    params = {"level": call.params["level"], "image": image}
    return await _one(call, MAP["set_level_plan"], params)


@router.route(
    "DELETE",
    "/plans/{level}",
    status=204,
    errors=("forbidden", "level_not_found"),
    summary="Remove a level's plan; the spots placed on it are no longer drawn",
)
async def remove_plan(call: Call[None, None]) -> None:
    await _one(call, MAP["remove_level_plan"], {"level": call.params["level"]})


@router.route(
    "POST",
    "/plans/place",
    body=PlaceBody,
    errors=("forbidden", "spot_not_found", "level_not_found", "invalid_position"),
    summary="Draw a spot on a level's plan at (x, y), fractions of its width and height",
    response=SpotPosition,
)
async def place(call: Call[PlaceBody, None]) -> Any:
    return await _one(call, MAP["place_spot"], call.body.model_dump())


@router.route(
    "POST",
    "/plans/unplace",
    body=SpotRef,
    status=204,
    errors=("forbidden", "spot_not_found"),
    summary="Stop drawing a spot on the map (it stays in the list)",
)
async def unplace(call: Call[SpotRef, None]) -> None:
    await _one(call, MAP["unplace_spot"], {"spot_id": call.body.spot_id})


@entrypoint.http
async def admin(request: Request) -> Response:
    return await router(request)
