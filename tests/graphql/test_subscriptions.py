"""GraphQL subscriptions over `graphql-transport-ws`, through the real gateway with a real
WebSocket client: writes made over REST reach the subscribers of their building, credits
reach only their owner, another building hears nothing, bad tokens are refused with 4403,
and `lastId` replays exactly what was missed."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from parkshare.live import events
from parkshare.live.stream import stream_key
from parkshare.store import db
from parkshare.tokens import Principal, issue_access_token
from tests.conftest import TestDb, bearer, published
from tests.gateway.conftest import free_port, gateway_command, server_env, serving
from tests.support import Garage, next_hour

PROTOCOL = Subprotocol("graphql-transport-ws")
SPOT_UPDATES = """subscription ($lastId: String) {
  spotUpdates(lastId: $lastId) { id type spotId at data }
}"""
MY_CREDITS = """subscription ($lastId: String) {
  myCredits(lastId: $lastId) { id at credits }
}"""
SPOT_TYPES = {
    "spot.updated",
    "availability.changed",
    "reservation.created",
    "reservation.cancelled",
    "reservation.started",
    "reservation.ended",
    "reservation.settled",
}


@pytest.fixture(scope="module")
def gateway(api_database: TestDb, redis_url: str) -> Iterator[str]:
    port = free_port()
    with serving(gateway_command(port), server_env(api_database, redis_url), port) as base:
        yield base


@pytest.fixture
def garage(api_database: TestDb, pool: db.Pool) -> Iterator[Garage]:
    built = Garage.create(api_database)
    yield built
    built.close()


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/fn/graphql"


def token(garage: Garage, user: UUID) -> str:
    return bearer(garage, user)["Authorization"].removeprefix("Bearer ")


async def residents(garage: Garage, *names: str) -> list[UUID]:
    """New residents with their starting grants already on the stream, so that what a
    subscriber hears next is what the test does next."""
    users = [garage.user(name) for name in names]
    # Published here, or by a publisher that holds the building's lock just now.
    await events.publish(garage.building_id)
    await published(garage)
    return users


async def post(base: str, garage: Garage, user: UUID, fn: str, body: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        answer = await http.post(f"/fn/{fn}", json=body, headers=bearer(garage, user))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def share_a_spot(base: str, garage: Garage, owner: UUID) -> str:
    """A spot of `owner`'s, offered for the eight hours from the next round hour."""
    spot: str = (await post(base, garage, owner, "add-spot", {"label": "B2-17"}))["id"]
    start = next_hour()
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat()}
    await post(
        base, garage, owner, "set-availability", {"spot_id": spot, **window, "available": True}
    )
    return spot


async def reserve(base: str, garage: Garage, user: UUID, spot: str, hour: int) -> Any:
    """`user` books `spot` for the `hour`-th hour of its offered window."""
    start = next_hour() + timedelta(hours=hour)
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
    return await post(base, garage, user, "reserve", {"spot_id": spot, **window})


async def stream_entries(
    redis_url: str, building: UUID, after: str = "-"
) -> list[tuple[str, dict[str, str]]]:
    """The building's stream as Redis holds it, after the entry `after` (exclusive)."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        # redis-py types every reply loosely; decode_responses makes these strings.
        entries: list[tuple[str, dict[str, str]]] = await client.xrange(  # type: ignore[assignment]
            stream_key(building), min=after if after == "-" else f"({after}"
        )
    finally:
        await client.aclose()
    return entries


async def tip(redis_url: str, building: UUID) -> str:
    """The id of the building's latest event: subscribing after it misses nothing to come."""
    entries = await stream_entries(redis_url, building)
    return entries[-1][0] if entries else "0-0"


class Subscriber:
    """A `graphql-transport-ws` client with one subscription (id "1")."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.received: list[dict[str, Any]] = []

    @classmethod
    async def open(
        cls, base: str, access_token: str, query: str, last_id: str | None = None
    ) -> Subscriber:
        ws = await connect(ws_url(base), subprotocols=[PROTOCOL])
        assert ws.subprotocol == PROTOCOL
        init = {"authorization": f"Bearer {access_token}"}
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        payload = {"query": query, "variables": {"lastId": last_id}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        return cls(ws)

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next event the subscription yields (the field's value)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            message = json.loads(await asyncio.wait_for(self.ws.recv(), max(left, 0.001)))
            if message["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            assert message["type"] == "next" and message["id"] == "1", message
            assert "errors" not in message["payload"], message["payload"]["errors"]
            (value,) = message["payload"]["data"].values()
            event: dict[str, Any] = value
            self.received.append(event)
            return event

    async def until(self, done: Callable[[dict[str, Any]], bool], timeout: float = 15.0) -> None:
        """Receive until an event satisfies `done`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"gave up waiting; received {self.received}")
            try:
                if done(await self.next(left)):
                    return
            except TimeoutError:
                raise AssertionError(f"gave up waiting; received {self.received}") from None

    async def close(self) -> None:
        await self.ws.close()


async def until_live(subscriber: Subscriber, poke: Callable[[], Awaitable[object]]) -> None:
    """A subscription without `lastId` reads from the stream's end as of its first read, which
    a client cannot see happen: write until one write's event arrives."""
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        await poke()
        try:
            await subscriber.next(0.5)
            return
        except TimeoutError:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the subscription never delivered") from None


async def test_a_booking_over_rest_reaches_a_spot_subscriber(
    gateway: str, garage: Garage, redis_url: str
) -> None:
    alice, bob = await residents(garage, "alice", "bob")
    spot = await share_a_spot(gateway, garage, alice)
    at_alice = await Subscriber.open(gateway, token(garage, alice), SPOT_UPDATES)

    async def poke() -> None:
        await post(gateway, garage, alice, "add-spot", {"label": f"P-{uuid.uuid4().hex[:6]}"})

    await until_live(at_alice, poke)
    booked = await reserve(gateway, garage, bob, spot, 0)

    await at_alice.until(lambda e: e["type"] == "reservation.created")
    created = at_alice.received[-1]
    assert set(created) == {"id", "type", "spotId", "at", "data"}
    assert created["spotId"] == spot
    assert created["data"]["reservation"]["id"] == booked["id"]
    assert created["data"]["reservation"] == booked
    (entry,) = [
        entry_id
        for entry_id, fields in await stream_entries(redis_url, garage.building_id)
        if fields["type"] == "reservation.created"
    ]
    assert created["id"] == entry, "the event id is the stream id"
    assert all(e["type"] in SPOT_TYPES for e in at_alice.received), "no credits"
    await at_alice.close()


async def test_my_credits_tells_the_parker_their_balance_and_nobody_else_theirs(
    gateway: str, garage: Garage, redis_url: str
) -> None:
    alice, bob, carol = await residents(garage, "alice", "bob", "carol")
    spot = await share_a_spot(gateway, garage, alice)
    since = await tip(redis_url, garage.building_id)
    at_bob = await Subscriber.open(gateway, token(garage, bob), MY_CREDITS, since)

    # Carol's money moves first (50 → 47 → 44), then Bob's (50 → 47): in stream order, any
    # of Carol's that got through would arrive before Bob's own.
    await reserve(gateway, garage, carol, spot, 0)
    await reserve(gateway, garage, carol, spot, 1)
    await reserve(gateway, garage, bob, spot, 2)

    first = await at_bob.next()
    await published(garage)
    credits = [
        (fields["user"], entry_id, json.loads(fields["data"])["credits"])
        for entry_id, fields in await stream_entries(redis_url, garage.building_id, since)
        if fields["type"] == "credits.changed"
    ]
    # All three went out on the stream, Carol's first.
    assert [(user, n) for user, _, n in credits] == [
        (str(carol), 47),
        (str(carol), 44),
        (str(bob), 47),
    ]
    assert first["credits"] == 47
    assert first["id"] == credits[-1][1]
    assert set(first) == {"id", "at", "credits"}
    await at_bob.close()


async def test_another_building_hears_nothing(
    gateway: str, garage: Garage, api_database: TestDb, redis_url: str
) -> None:
    alice, bob = await residents(garage, "alice", "bob")  # the other building's stream exists
    other = Garage.create(api_database)
    try:
        (stranger,) = await residents(other, "stranger")
        at_stranger = await Subscriber.open(
            gateway, token(other, stranger), SPOT_UPDATES, await tip(redis_url, other.building_id)
        )
        spot = await share_a_spot(gateway, garage, alice)
        await reserve(gateway, garage, bob, spot, 0)
        assert len(await stream_entries(redis_url, garage.building_id)) >= 4

        # A write in the stranger's own building, after all of the other's: whatever of the
        # other building got through would have arrived before it.
        own = await post(gateway, other, stranger, "add-spot", {"label": "own"})
        first = await at_stranger.next()
        assert first["type"] == "spot.updated"
        assert first["spotId"] == own["id"]
        await at_stranger.close()
    finally:
        other.close()


def expired_token(garage: Garage, user: UUID) -> str:
    principal = Principal(user, garage.building_id, "resident")
    return issue_access_token(principal, now=time.time() - 3600)


@pytest.mark.parametrize("kind", ["garbage", "expired", "missing", "not-bearer"])
async def test_a_bad_token_is_closed_with_4403(gateway: str, garage: Garage, kind: str) -> None:
    user = garage.user("someone")
    payload = {
        "garbage": {"authorization": "Bearer x.y.z"},
        "expired": {"authorization": f"Bearer {expired_token(garage, user)}"},
        "missing": {},
        "not-bearer": {"authorization": f"Basic {token(garage, user)}"},
    }[kind]
    ws = await connect(ws_url(gateway), subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    with pytest.raises(ConnectionClosed) as closed:
        message = await asyncio.wait_for(ws.recv(), 5)
        raise AssertionError(f"expected a close, received {message!r}")
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_last_id_replays_exactly_the_missed_events_in_order(
    gateway: str, garage: Garage, redis_url: str
) -> None:
    alice, bob = await residents(garage, "alice", "bob")
    first = await Subscriber.open(
        gateway, token(garage, bob), SPOT_UPDATES, await tip(redis_url, garage.building_id)
    )
    spot = (await post(gateway, garage, alice, "add-spot", {"label": "B2-17"}))["id"]
    seen = await first.next()
    assert seen["type"] == "spot.updated"
    await first.close()

    # Missed while away: a window offered, and Bob's booking in it (with his credits and the
    # booking's notifications to Bob and Alice, which are not a spot's business).
    start = next_hour()
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    await post(
        gateway, garage, alice, "set-availability", {"spot_id": spot, **window, "available": True}
    )
    booked = await reserve(gateway, garage, bob, spot, 0)
    # The gateway's publisher puts them on the stream once they commit.
    deadline = time.monotonic() + 10
    while len(after_seen := await stream_entries(redis_url, garage.building_id, seen["id"])) < 5:
        assert time.monotonic() < deadline, after_seen
        await asyncio.sleep(0.02)
    assert sorted(f["type"] for _, f in after_seen) == [
        "availability.changed",
        "credits.changed",
        "notification.created",
        "notification.created",
        "reservation.created",
    ]
    missed = [entry_id for entry_id, fields in after_seen if fields["type"] in SPOT_TYPES]

    again = await Subscriber.open(gateway, token(garage, bob), SPOT_UPDATES, seen["id"])
    replayed = [await again.next(), await again.next()]
    assert [e["id"] for e in replayed] == missed
    assert [e["type"] for e in replayed] == ["availability.changed", "reservation.created"]
    assert all(e["spotId"] == spot for e in replayed)
    assert replayed[1]["data"]["reservation"] == booked
    # Then live, repeating nothing: the next event is the next write's.
    later = await post(gateway, garage, alice, "add-spot", {"label": "B2-18"})
    live = await again.next()
    assert live["type"] == "spot.updated" and live["spotId"] == later["id"]
    await again.close()
