"""/fn/board and the admin's /fn/admin/displays over HTTP: every route and every code of the
SPEC's lobby board (201 with a token shown once, the list without it, 204 on revoking, 404
display_not_found; the board's 200, and 401 for a missing, malformed, unknown or revoked
token)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import httpx

from tests.conftest import TestDb
from tests.functions.conftest import bearer
from tests.support import HOUR, Garage, next_hour, now


def display_auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Display {token}"}


async def make_display(
    client: Callable[[str], httpx.AsyncClient], g: Garage, name: str = "Lobby"
) -> dict[str, Any]:
    async with client("admin") as http:
        answer = await http.post(
            "/displays", json={"name": name}, headers=bearer(g, g.admin_id, "admin")
        )
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


async def test_an_admin_creates_lists_and_revokes_displays(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage
) -> None:
    g = api_garage
    admin = bearer(g, g.admin_id, "admin")
    made = await make_display(client, g, "Lobby, east door")
    assert set(made) == {"id", "name", "token"}
    assert made["name"] == "Lobby, east door"
    assert len(made["token"]) == 43
    async with client("admin") as http:
        listed = await http.get("/displays", headers=admin)
        assert listed.status_code == 200
        assert made["token"] not in listed.text
        (shown,) = listed.json()["displays"]
        assert shown == {
            "id": made["id"],
            "name": "Lobby, east door",
            "created_at": shown["created_at"],
            "last_seen_at": None,
        }

        revoked = await http.post(
            "/displays/revoke", json={"display_id": made["id"]}, headers=admin
        )
        assert (revoked.status_code, revoked.content) == (204, b"")
        assert (await http.get("/displays", headers=admin)).json() == {"displays": []}
        unknown = await http.post(
            "/displays/revoke", json={"display_id": str(uuid4())}, headers=admin
        )
        assert (unknown.status_code, unknown.json()["code"]) == (404, "display_not_found")
        for refused in ({"name": ""}, {"name": "x" * 101}, {"name": "Lobby", "token": "mine"}, {}):
            answer = await http.post("/displays", json=refused, headers=admin)
            assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request"), refused


async def test_a_resident_manages_no_display(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage
) -> None:
    g = api_garage
    made = await make_display(client, g)
    rita = bearer(g, g.user("Rita"))
    async with client("admin") as http:
        for answer in (
            await http.post("/displays", json={"name": "Mine"}, headers=rita),
            await http.get("/displays", headers=rita),
            await http.post("/displays/revoke", json={"display_id": made["id"]}, headers=rita),
        ):
            assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")
        nobody = await http.get("/displays")
        assert (nobody.status_code, nobody.json()["code"]) == (401, "unauthenticated")


async def test_another_buildings_admin_cannot_revoke_a_display(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage, api_database: TestDb
) -> None:
    made = await make_display(client, api_garage)
    other = Garage.create(api_database)
    try:
        async with client("admin") as http:
            answer = await http.post(
                "/displays/revoke",
                json={"display_id": made["id"]},
                headers=bearer(other, other.admin_id, "admin"),
            )
        assert (answer.status_code, answer.json()["code"]) == (404, "display_not_found")
    finally:
        other.close()
    async with client("board") as http:
        assert (await http.get("/", headers=display_auth(made["token"]))).status_code == 200


async def test_the_board_shows_the_garage_with_nobody_in_it(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage
) -> None:
    g = api_garage
    owner, parker = g.user("Olivia"), g.user("Patricia")
    spot = g.spot(owner, "B2-17")
    start = next_hour()
    g.offer(owner, spot, start, start + 4 * HOUR)
    booking = g.reserve(parker, spot, start, start + HOUR)
    g.travel(start - now() + HOUR / 4)
    made = await make_display(client, g)

    async with client("board") as http:
        answer = await http.get("/", headers=display_auth(made["token"]))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    seen = answer.json()
    assert seen["building"] == {"name": "Test Building", "timezone": "Europe/Paris"}
    (shown,) = seen["spots"]
    assert shown["label"] == "B2-17"
    assert shown["status_now"] == "reserved"
    assert set(shown) == {"label", "location", "status_now", "next_change_at"}
    text = json.dumps(seen)
    for secret in ("Olivia", "Patricia", str(owner), str(parker), str(spot), str(booking["id"])):
        assert secret not in text
    async with client("admin") as http:
        listed = await http.get("/displays", headers=bearer(g, g.admin_id, "admin"))
    assert listed.json()["displays"][0]["last_seen_at"] is not None


async def test_the_board_refuses_every_token_but_a_live_displays(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage
) -> None:
    g = api_garage
    made = await make_display(client, g)
    async with client("board") as http:
        for headers, code in (
            ({}, "unauthenticated"),
            (bearer(g, g.admin_id, "admin"), "unauthenticated"),
            ({"Authorization": "Display "}, "unauthenticated"),
            (display_auth("not-a-token"), "invalid_token"),
            (display_auth("A" * 43), "invalid_token"),
        ):
            answer = await http.get("/", headers=headers)
            assert answer.status_code == 401, headers
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["code"] == code, headers
            assert answer.headers["www-authenticate"] == 'Display realm="parkshare"'
        assert (await http.get("/", headers=display_auth(made["token"]))).status_code == 200
        posted = await http.post("/", headers=display_auth(made["token"]))
        assert (posted.status_code, posted.json()["code"]) == (405, "method_not_allowed")

    async with client("admin") as http:
        revoked = await http.post(
            "/displays/revoke",
            json={"display_id": made["id"]},
            headers=bearer(g, g.admin_id, "admin"),
        )
        assert revoked.status_code == 204
    async with client("board") as http:
        answer = await http.get("/", headers=display_auth(made["token"]))
    assert (answer.status_code, answer.json()["code"]) == (401, "invalid_token")
