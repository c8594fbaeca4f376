"""Lobby displays on the relay: a display's socket (subprotocols `display, <token>`, answered
`display`) receives the garage's changes only, each without anyone's name or id; a bad or
revoked token is closed with 4401, and revoking a display closes its open sockets within 5
seconds."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from parkshare.live.stream import PERSON_FIELDS
from tests.conftest import TestDb, bearer
from tests.live.conftest import Listener, listen, ws_url
from tests.live.test_relay import of, post, residents, share_a_spot, token
from tests.support import Garage

BOARD_TYPES = {"spot.updated", "availability.changed"}


@pytest.fixture
def garage(api_database: TestDb) -> Iterator[Garage]:
    built = Garage.create(api_database)
    yield built
    built.close()


async def new_display(base: str, garage: Garage, name: str = "Lobby") -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        answer = await http.post(
            "/fn/admin/displays",
            json={"name": name},
            headers=bearer(garage, garage.admin_id, "admin"),
        )
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


async def revoke(base: str, garage: Garage, display: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        answer = await http.post(
            "/fn/admin/displays/revoke",
            json={"display_id": display["id"]},
            headers=bearer(garage, garage.admin_id, "admin"),
        )
    assert answer.status_code == 204, answer.text


async def watch(base: str, display_token: str) -> ClientConnection:
    return await connect(ws_url(base), subprotocols=["display", display_token])  # type: ignore[list-item]


def members(value: Any) -> set[str]:
    """Every member name at any depth of a JSON value."""
    if isinstance(value, dict):
        return set(value) | {name for v in value.values() for name in members(v)}
    if isinstance(value, list):
        return {name for v in value for name in members(v)}
    return set()


async def closed_with(ws: ClientConnection, timeout: float) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    return closed.value.rcvd.code if closed.value.rcvd is not None else None


async def test_a_display_hears_the_garage_change_with_nobody_in_it(
    gateway: str, garage: Garage
) -> None:
    alice, bob = await residents(garage, "alice", "bob")
    display = await new_display(gateway, garage)
    ws = await watch(gateway, display["token"])
    assert ws.subprotocol == "display"
    at_display = Listener(ws)
    at_bob = await listen(gateway, token(garage, bob))

    spot, start, end = await share_a_spot(gateway, garage, alice)
    booked = await post(
        gateway, garage, bob, "reserve", {"spot_id": spot, "start": start, "end": end}
    )
    # The owner's new name goes out with their spot (spot.updated names the owner to residents).
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as http:
        renamed = await http.patch(
            "/fn/me", json={"display_name": "Alice Liddell"}, headers=bearer(garage, alice)
        )
    assert renamed.status_code == 200, renamed.text
    await post(gateway, garage, bob, "cancel", {"reservation_id": booked["id"]})

    # Bob heard it all, his credits and notifications included; then the display, which
    # hears what the building's stream got in the same order, without them.
    await at_bob.until(lambda ev: bool(of(ev, "reservation.cancelled")))
    assert of(at_bob.events, "credits.changed") and of(at_bob.events, "notification.created")
    await at_display.until(lambda ev: bool(of(ev, "reservation.cancelled")))
    await at_display.silent_for(0.5)
    assert at_display.types() == [
        "spot.updated",
        "availability.changed",
        "reservation.created",
        "spot.updated",
        "reservation.cancelled",
    ]
    for event in at_display.events:
        assert event["type"] in BOARD_TYPES or event["type"].startswith("reservation.")
        assert not members(event["data"]) & PERSON_FIELDS, event
        text = json.dumps(event)
        for secret in (str(alice), str(bob), "Alice Liddell", "alice", "bob"):
            assert secret not in text, (secret, event)
    created = of(at_display.events, "reservation.created")[0]
    assert created["building_id"] == str(garage.building_id)
    assert created["data"]["reservation"] == {
        k: v for k, v in booked.items() if k not in ("user_id",)
    }
    assert of(at_display.events, "spot.updated")[0]["data"]["spot"] == {
        "id": spot,
        "label": "B2-17",
        "location": None,
    }
    # The same events, as a resident receives them, do name people.
    assert "user_id" in of(at_bob.events, "reservation.created")[0]["data"]["reservation"]
    await at_display.close()
    await at_bob.close()


@pytest.mark.parametrize("kind", ["malformed", "unknown", "revoked", "a resident's"])
async def test_a_bad_display_token_is_closed_with_4401(
    gateway: str, garage: Garage, kind: str
) -> None:
    if kind == "malformed":
        bad = "not-a-token"
    elif kind == "unknown":
        bad = secrets.token_urlsafe(32)
    elif kind == "revoked":
        display = await new_display(gateway, garage)
        await revoke(gateway, garage, display)
        bad = display["token"]
    else:
        bad = token(garage, garage.user("rita"))
    ws = await watch(gateway, bad)
    assert await closed_with(ws, 5) == 4401


async def test_revoking_a_display_closes_its_sockets_within_5_seconds(
    gateway: str, garage: Garage
) -> None:
    (alice,) = await residents(garage, "alice")
    lobby = await new_display(gateway, garage, "Lobby")
    door = await new_display(gateway, garage, "Garage door")
    sockets = [await watch(gateway, lobby["token"]) for _ in range(2)]
    other = Listener(await watch(gateway, door["token"]))
    # Both are live: an event reaches them.
    await post(gateway, garage, alice, "add-spot", {"label": "R-1"})
    for ws in sockets:
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "spot.updated"
    await other.until(lambda ev: len(ev) == 1)

    await revoke(gateway, garage, lobby)
    revoked_at = time.monotonic()
    codes = await asyncio.gather(*(closed_with(ws, 6) for ws in sockets))
    took = time.monotonic() - revoked_at
    assert codes == [4401, 4401]
    assert took < 5, f"closed after {took:.1f} s"

    # The other display stays open and live.
    await post(gateway, garage, alice, "add-spot", {"label": "R-2"})
    await other.until(lambda ev: len(ev) == 2)
    await other.ws.send("ping")
    assert json.loads(await asyncio.wait_for(other.ws.recv(), 5)) == {"type": "pong"}
    await other.close()
    # And the revoked one cannot come back.
    assert await closed_with(await watch(gateway, lobby["token"]), 5) == 4401


async def test_a_display_never_hears_another_building(
    gateway: str, garage: Garage, api_database: TestDb
) -> None:
    other = Garage.create(api_database)
    try:
        (stranger,) = await residents(other, "stranger")
        (alice,) = await residents(garage, "alice")
        display = Listener(await watch(gateway, (await new_display(gateway, garage))["token"]))
        await post(gateway, other, stranger, "add-spot", {"label": "THEIRS"})
        await post(gateway, garage, alice, "add-spot", {"label": "OURS"})
        await display.until(lambda ev: len(ev) >= 1)
        await display.silent_for(0.5)
        assert [e["data"]["spot"]["label"] for e in display.events] == ["OURS"]
        await display.close()
    finally:
        other.close()
