"""The writes, once: what a REST function and a GraphQL mutation both run for an operation.

Each runs one statement of `sql/queries/ops.sql` in one transaction in the caller's tenant
context and answers the contract's JSON (the REST body). The procedures put the events in the
outbox and NOTIFY; the publisher takes them from there, so nothing here publishes. Refusals
leave as they come: a `Problem`, or the `psycopg.Error` the caller maps (`http`, `gql`).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from psycopg.types.json import Jsonb
from pydantic_core import to_json

from parkshare.problems import Problem
from parkshare.store import db
from parkshare.store.queries import load

if TYPE_CHECKING:
    from parkshare.tokens import Principal

SQL = load("ops")
# The header both paths read; a retry with the same key and body answers the first answer.
IDEMPOTENCY_HEADER = "idempotency-key"
IDEMPOTENCY_KEY_CHARACTERS_MAX = 200


async def _as(principal: Principal, query: str, params: dict[str, Any] | None = None) -> Any:
    return await db.value(principal.building_id, principal.user_id, query, params)


async def _object(principal: Principal, query: str, params: dict[str, Any]) -> dict[str, Any]:
    """The one JSON object `query` answers (a reservation, a spot), as the caller."""
    answer: dict[str, Any] = await _as(principal, query, params)
    return answer


def request_hash(spot_id: UUID, start: datetime, end: datetime) -> str:
    """What a key is bound to: the body as pydantic writes `{spot_id, start, end}` (offsets as
    sent), the hash the previous release stored, so its keys still replay."""
    return hashlib.sha256(to_json({"spot_id": spot_id, "start": start, "end": end})).hexdigest()


async def reserve(
    principal: Principal,
    spot_id: UUID,
    start: datetime,
    end: datetime,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    if idempotency_key is not None and not (
        1 <= len(idempotency_key) <= IDEMPOTENCY_KEY_CHARACTERS_MAX
    ):
        raise Problem(
            "invalid_request",
            f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_CHARACTERS_MAX} characters",
        )
    params = {
        "spot_id": spot_id,
        "start": start,
        "end": end,
        "key": idempotency_key,
        "request_hash": None if idempotency_key is None else request_hash(spot_id, start, end),
    }
    return await _object(principal, SQL["reserve"], params)


async def cancel(principal: Principal, reservation_id: UUID) -> dict[str, Any]:
    return await _object(principal, SQL["cancel"], {"reservation_id": reservation_id})


async def add_spot(
    principal: Principal, label: str, location: str | None = None, notes: str | None = None
) -> dict[str, Any]:
    params = {"label": label, "location": location, "notes": notes}
    return await _object(principal, SQL["add_spot"], params)


async def set_availability(
    principal: Principal,
    spot_id: UUID,
    start: datetime,
    end: datetime,
    available: bool,
    cancel_reservations: bool = False,
) -> dict[str, Any]:
    params = {
        "spot_id": spot_id,
        "start": start,
        "end": end,
        "available": available,
        "cancel_reservations": cancel_reservations,
    }
    windows = await _as(principal, SQL["set_availability"], params)
    return {"spot_id": spot_id, "availability": windows}


async def create_pattern(
    principal: Principal,
    spot_id: UUID,
    weekdays: list[int],
    from_: str,
    until: str,
    every_weeks: int = 1,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> dict[str, Any]:
    """A recurring pattern of the caller's spot, its windows made up to the horizon."""
    params = {
        "spot_id": spot_id,
        "weekdays": weekdays,
        "from": from_,
        "until": until,
        "every_weeks": every_weeks,
        "starts_on": starts_on,
        "ends_on": ends_on,
    }
    return await _object(principal, SQL["create_pattern"], params)


async def pause_pattern(
    principal: Principal,
    pattern_id: UUID,
    start_date: date,
    end_date: date,
    cancel_reservations: bool = False,
) -> dict[str, Any]:
    params = {
        "pattern_id": pattern_id,
        "start_date": start_date,
        "end_date": end_date,
        "cancel_reservations": cancel_reservations,
    }
    return await _object(principal, SQL["pause_pattern"], params)


async def stop_pattern(
    principal: Principal, pattern_id: UUID, cancel_reservations: bool = False
) -> dict[str, Any]:
    params = {"pattern_id": pattern_id, "cancel_reservations": cancel_reservations}
    return await _object(principal, SQL["stop_pattern"], params)


async def mark_notifications_read(
    principal: Principal, ids: list[int] | None, all_: bool | None
) -> None:
    """The caller's notifications `ids` (or all of them) marked read."""
    await _as(principal, SQL["mark_notifications_read"], {"ids": ids, "all": all_})


async def set_notification_preferences(
    principal: Principal,
    email: dict[str, bool] | None = None,
    remind_minutes: int | None = None,
    locale: str | None = None,
) -> dict[str, Any]:
    """The caller's choices merged with what they send; answers them all."""
    params = {
        "email": None if email is None else Jsonb(email),
        "remind_minutes": remind_minutes,
        "locale": locale,
    }
    return await _object(principal, SQL["set_notification_preferences"], params)


async def adjust_credits(
    principal: Principal, user_id: UUID, amount: int, reason: str
) -> dict[str, Any]:
    """An admin's grant or deduction of a resident's credits (the procedure decides who may)."""
    params = {"user_id": user_id, "amount": amount, "reason": reason}
    return await _object(principal, SQL["adjust_credits"], params)


async def update_profile(principal: Principal, display_name: str) -> dict[str, Any]:
    params = {"display_name": display_name}
    return {"user": await _as(principal, SQL["update_profile"], params)}


async def settle(principal: Principal | None) -> dict[str, int]:
    """Every ended booking paid: the caller's building (an admin action, audited by the
    procedure), or every building for the system (the cron) when there is no caller."""
    if principal is None:
        return {"settled": await db.value(None, None, SQL["settle"])}
    return {"settled": await _as(principal, SQL["settle_building"])}
