"""/fn/admin: what a building's admin does — invite residents, adjust credits.

Whether the caller is an admin is decided by the procedures (ps_admin), not here."""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import functions_framework.aio
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from parkshare import db
from parkshare.http import Body, Call, Router
from parkshare.queries import load

SQL = load("functions")
router = Router("admin")
INVITE_LIFETIME = timedelta(days=7)


class InviteBody(Body):
    role: Literal["resident", "admin"] = "resident"


class CreditsBody(Body):
    user_id: UUID
    amount: int = Field(ge=-1_000_000, le=1_000_000)
    reason: str = Field(min_length=1, max_length=500)


@router.route(
    "POST",
    "/invites",
    body=InviteBody,
    status=201,
    errors=("forbidden",),
    summary="Create an invite code (shown once) for a new resident or admin",
)
async def invites(call: Call[InviteBody, None]) -> Any:
    code = secrets.token_urlsafe(18)
    params = {
        "code_hash": hashlib.sha256(code.encode()).hexdigest(),
        "role": call.body.role,
        "expires_at": datetime.now(UTC) + INVITE_LIFETIME,
    }

    async def create(conn: db.AsyncConn) -> Any:
        return await (await conn.execute(SQL["create_invite"], params)).fetchone()

    row = await db.run(call.user.building_id, call.user.user_id, create)
    return {"invite_code": code, "role": row["role"], "expires_at": row["expires_at"]}


@router.route(
    "POST",
    "/credits",
    body=CreditsBody,
    publishes=True,
    status=201,
    errors=("forbidden", "user_not_found", "insufficient_credits", "invalid_request"),
    summary="Grant (positive) or deduct (negative) credits with a reason",
)
async def credits(call: Call[CreditsBody, None]) -> Any:
    async def grant(conn: db.AsyncConn) -> Any:
        return await (await conn.execute(SQL["grant_credits"], call.body.model_dump())).fetchone()

    entry = await db.run(call.user.building_id, call.user.user_id, grant)
    return {
        "id": entry["id"],
        "user_id": call.body.user_id,
        "amount": call.body.amount,
        "reason": entry["reason"],
        "at": entry["at"],
    }


@functions_framework.aio.http
async def admin(request: Request) -> Response:
    return await router(request)
