"""/fn/request over HTTP: every route and code of the SPEC's "When demand exceeds supply" for
requests (201 booked at once, 202 waiting, the list, withdrawing), and a waiting request
booked by another resident's offer, told to its maker alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx

from tests.functions.conftest import bearer
from tests.support import HOUR, Garage, next_hour


def window(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


async def post(
    client: Callable[[str], httpx.AsyncClient],
    g: Garage,
    user: UUID,
    path: str,
    body: dict[str, Any],
) -> httpx.Response:
    async with client("request") as http:
        return await http.post(path, json=body, headers=bearer(g, user))


async def test_a_request_is_booked_at_once_or_waits_and_is_listed(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage
) -> None:
    g = api_garage
    owner, parker = g.user("Owner"), g.user("Parker")
    spot = g.spot(owner, "B1-05")
    start = next_hour(2)
    g.offer(owner, spot, start, start + 2 * HOUR)

    booked = await post(client, g, parker, "/", window(start, start + HOUR))
    assert booked.status_code == 201, booked.text
    assert booked.json()["status"] == "matched"
    assert g.reservation(UUID(booked.json()["reservation_id"]))["spot_id"] == spot

    waits = await post(client, g, parker, "/", window(start + 3 * HOUR, start + 4 * HOUR))
    assert waits.status_code == 202, waits.text
    assert waits.json()["status"] == "waiting"
    assert waits.json()["reservation_id"] is None
    assert waits.json()["start"].endswith("Z")

    async with client("request") as http:
        listed = await http.get("/", headers=bearer(g, parker))
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["requests"]] == [
        waits.json()["id"],
        booked.json()["id"],
    ]
    async with client("request") as http:
        others = await http.get("/", headers=bearer(g, owner))
    assert others.json() == {"requests": []}


async def test_every_refusal_has_its_code(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage
) -> None:
    g = api_garage
    owner, parker, poor, other = g.user("Owner"), g.user("Parker"), g.user("Poor"), g.user("O")
    spot = g.spot(owner)
    start = next_hour(2)
    g.offer(owner, spot, start, start + HOUR)
    g.reserve(parker, spot, start, start + HOUR)
    g.grant(poor, -49)

    async def code(user: UUID, path: str, body: dict[str, Any]) -> tuple[int, str]:
        answer = await post(client, g, user, path, body)
        assert answer.headers["content-type"] == "application/problem+json", answer.text
        return answer.status_code, answer.json()["code"]

    assert await code(parker, "/", window(start + HOUR, start)) == (422, "invalid_window")
    assert await code(parker, "/", {"start": "soon", "end": "later"}) == (422, "invalid_window")
    assert await code(parker, "/", {"when": "now"}) == (422, "invalid_request")
    assert await code(parker, "/", window(start, start + HOUR)) == (
        409,
        "overlapping_reservation",
    )
    assert await code(poor, "/", window(start, start + HOUR)) == (402, "insufficient_credits")
    for i in range(5):
        later = start + (2 + i * 2) * HOUR
        assert (await post(client, g, other, "/", window(later, later + HOUR))).status_code == 202
    beyond = start + 20 * HOUR
    assert await code(other, "/", window(beyond, beyond + HOUR)) == (409, "too_many_requests")

    waiting = (await post(client, g, parker, "/", window(beyond, beyond + HOUR))).json()
    withdraw = {"request_id": waiting["id"]}
    assert await code(other, "/withdraw", withdraw) == (404, "request_not_found")
    withdrawn = await post(client, g, parker, "/withdraw", withdraw)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    assert await code(parker, "/withdraw", withdraw) == (409, "request_closed")
    assert await code(parker, "/withdraw", {"request_id": "nope"}) == (422, "invalid_request")


async def test_a_waiting_request_becomes_a_booking_when_a_spot_is_shared(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage
) -> None:
    g = api_garage
    owner, parker = g.user("Owner"), g.user("Parker")
    spot = g.spot(owner)
    start = next_hour(3)
    waits = await post(client, g, parker, "/", window(start, start + 2 * HOUR))
    assert waits.status_code == 202

    async with client("set-availability") as http:
        offered = await http.post(
            "/",
            json={"spot_id": str(spot), "available": True, **window(start, start + 4 * HOUR)},
            headers=bearer(g, owner),
        )
    assert offered.status_code == 200, offered.text

    async with client("request") as http:
        (mine,) = (await http.get("/", headers=bearer(g, parker))).json()["requests"]
    assert mine["status"] == "matched"
    booking = g.reservation(UUID(mine["reservation_id"]))
    assert (booking["spot_id"], booking["user_id"]) == (spot, parker)
    told = g.outbox("request.matched")
    assert [(e["user_id"], e["data"]["request"]["id"]) for e in told] == [(parker, mine["id"])]
    async with client("notifications") as http:
        notes = (await http.get("/", headers=bearer(g, parker))).json()["notifications"]
    assert [n["kind"] for n in notes] == ["request.matched"]
