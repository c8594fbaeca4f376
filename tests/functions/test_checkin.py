"""/fn/checkin and the policy's check-in settings over HTTP: every code of the SPEC's check-in
(200 with `checked_in_at`, again the same stamp; 404, 403, 409 checkin_closed), and the
admin's PATCH /fn/admin/policy taking `checkin_grace_minutes` and `no_show_owner_share`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from tests.functions.conftest import bearer
from tests.support import HOUR, Garage, next_hour, now


async def checkin(
    client: Callable[[str], httpx.AsyncClient], g: Garage, user: UUID, reservation: Any
) -> httpx.Response:
    async with client("checkin") as http:
        return await http.post(
            "/", json={"reservation_id": str(reservation)}, headers=bearer(g, user)
        )


async def test_the_policy_turns_check_in_on_and_a_parker_checks_in_once(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage
) -> None:
    g = api_garage
    owner, parker = g.user("Owner"), g.user("Parker")
    spot = g.spot(owner)
    start = next_hour(2)
    g.offer(owner, spot, start, start + 4 * HOUR)
    before = g.reserve(parker, spot, start, start + HOUR)

    closed = await checkin(client, g, parker, before["id"])
    assert closed.status_code == 409
    assert closed.json()["code"] == "checkin_closed"

    async with client("admin") as http:
        admin = bearer(g, g.admin_id, "admin")
        policy = await http.patch(
            "/policy", json={"checkin_grace_minutes": 20, "no_show_owner_share": 2}, headers=admin
        )
        assert policy.status_code == 200, policy.text
        assert policy.json()["checkin_grace_minutes"] == 20
        assert policy.json()["no_show_owner_share"] == 2
        for refused in ({"checkin_grace_minutes": 121}, {"no_show_owner_share": 4}):
            answer = await http.patch("/policy", json=refused, headers=admin)
            assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request")

    booking = g.reserve(parker, spot, start + 2 * HOUR, start + 3 * HOUR)
    # Five minutes before its start.
    g.travel(start + 2 * HOUR - now() - timedelta(minutes=5))
    first = await checkin(client, g, parker, booking["id"])
    assert first.status_code == 200, first.text
    assert first.json()["checked_in_at"] is not None
    assert first.json()["status"] == "booked"
    again = await checkin(client, g, parker, booking["id"])
    assert again.json()["checked_in_at"] == first.json()["checked_in_at"]

    mine = await checkin(client, g, owner, booking["id"])
    assert (mine.status_code, mine.json()["code"]) == (403, "not_yours")
    unknown = await checkin(client, g, parker, uuid4())
    assert (unknown.status_code, unknown.json()["code"]) == (404, "reservation_not_found")
