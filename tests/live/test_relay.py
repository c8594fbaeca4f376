"""The relay at /ws, through the gateway a resident's browser talks to: every write reaches
the residents of its building and nobody else, reconnecting replays exactly what was missed,
bad tokens are refused, slow clients are dropped, and every relay process delivers."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from parkshare.live import events
from parkshare.live.stream import stream_key
from parkshare.tokens import ACCESS_TOKEN_SECONDS, Principal, issue_access_token
from tests.conftest import TestDb, bearer, published
from tests.gateway.conftest import free_port, server_env, serving
from tests.live.conftest import Event, Listener, listen, relay_command, ws_url
from tests.support import Garage, next_hour


async def residents(garage: Garage, *names: str) -> list[UUID]:
    """New residents, their starting grants already published (so a listener connected now
    hears only what the test does next)."""
    users = [garage.user(name) for name in names]
    # Published here, or by a publisher that holds the building's lock just now.
    await events.publish(garage.building_id)
    await published(garage)
    return users


def token(garage: Garage, user: UUID) -> str:
    return bearer(garage, user)["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def garage(api_database: TestDb) -> Iterator[Garage]:
    built = Garage.create(api_database)
    yield built
    built.close()


async def post(base: str, garage: Garage, user: UUID, fn: str, body: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        answer = await http.post(f"/fn/{fn}", json=body, headers=bearer(garage, user))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def share_a_spot(base: str, garage: Garage, owner: UUID) -> tuple[str, str, str]:
    spot = (await post(base, garage, owner, "add-spot", {"label": "B2-17"}))["id"]
    start = next_hour()
    await post(
        base,
        garage,
        owner,
        "set-availability",
        {
            "spot_id": spot,
            "start": start.isoformat(),
            "end": (start + timedelta(hours=8)).isoformat(),
            "available": True,
        },
    )
    return spot, start.isoformat(), (start + timedelta(hours=2)).isoformat()


def of(events: list[Event], *types: str) -> list[Event]:
    return [e for e in events if e["type"] in types]


async def test_each_write_reaches_the_residents_of_its_building(
    gateway: str, garage: Garage
) -> None:
    alice, bob = await residents(garage, "alice", "bob")
    at_alice = await listen(gateway, token(garage, alice))
    at_bob = await listen(gateway, token(garage, bob))

    spot, start, end = await share_a_spot(gateway, garage, alice)
    await at_bob.until(lambda ev: len(of(ev, "availability.changed")) == 1)
    assert at_bob.types() == ["spot.updated", "availability.changed"]

    booked = await post(
        gateway, garage, bob, "reserve", {"spot_id": spot, "start": start, "end": end}
    )
    await at_alice.until(lambda ev: bool(of(ev, "reservation.created")))
    created = of(at_alice.events, "reservation.created")[0]
    assert set(created) == {"id", "type", "building_id", "at", "data"}
    assert created["building_id"] == str(garage.building_id)
    assert created["data"]["reservation"] == booked

    await post(gateway, garage, bob, "cancel", {"reservation_id": booked["id"]})
    await at_alice.until(lambda ev: bool(of(ev, "reservation.cancelled")))
    await at_bob.until(lambda ev: len(of(ev, "credits.changed")) == 2)
    # Bob's money is Bob's business: 50 → 47 → 50, told to him alone.
    assert [e["data"]["credits"] for e in of(at_bob.events, "credits.changed")] == [47, 50]
    await at_bob.until(lambda ev: bool(of(ev, "reservation.cancelled")))
    assert of(at_alice.events, "credits.changed") == []
    ids = [e["id"] for e in at_bob.events]
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-")))), "in stream order"
    for listener in (at_alice, at_bob):
        await listener.close()


async def test_another_building_hears_nothing(
    gateway: str, garage: Garage, api_database: TestDb
) -> None:
    other = Garage.create(api_database)
    try:
        (stranger,) = await residents(other, "stranger")
        at_stranger = await listen(gateway, token(other, stranger))
        (alice,) = await residents(garage, "alice")
        await share_a_spot(gateway, garage, alice)
        # A write in the stranger's own building: once it arrives, anything of the other
        # building would have arrived before it.
        await post(gateway, other, stranger, "add-spot", {"label": "own"})
        await at_stranger.until(lambda ev: len(ev) >= 1)
        await at_stranger.silent_for(0.5)
        assert at_stranger.types() == ["spot.updated"]
        assert at_stranger.events[0]["building_id"] == str(other.building_id)
        await at_stranger.close()
    finally:
        other.close()


async def test_reconnecting_with_last_id_replays_exactly_what_was_missed(
    gateway: str, garage: Garage, redis_url: str
) -> None:
    alice, bob = await residents(garage, "alice", "bob")
    first = await listen(gateway, token(garage, bob))
    spot, start, _ = await share_a_spot(gateway, garage, alice)
    await first.until(lambda ev: len(ev) == 2)
    last_seen = first.events[-1]["id"]
    await first.close()

    # Missed while away: a booking of Bob's (with his credits and his notification; Alice's
    # is hers alone) and two more windows.
    begin = next_hour()
    missed = [
        await post(
            gateway,
            garage,
            bob,
            "reserve",
            {"spot_id": spot, "start": start, "end": (begin + timedelta(hours=1)).isoformat()},
        )
    ]
    for hours in (9, 10):
        await post(
            gateway,
            garage,
            alice,
            "set-availability",
            {
                "spot_id": spot,
                "start": (begin + timedelta(hours=hours)).isoformat(),
                "end": (begin + timedelta(hours=hours + 1)).isoformat(),
                "available": True,
            },
        )
    await published(garage)
    stream = redis.Redis.from_url(redis_url)
    entries: list[tuple[bytes, dict[bytes, bytes]]] = stream.xrange(  # type: ignore[assignment]
        stream_key(garage.building_id), min=f"({last_seen}"
    )
    expected = [
        entry_id.decode()
        for entry_id, fields in entries
        if fields[b"user"] in (b"", str(bob).encode())
    ]
    stream.close()
    assert len(expected) == 5  # created, Bob's credits, Bob's notification, two windows

    again = await listen(gateway, token(garage, bob), last_id=last_seen)
    await again.until(lambda ev: len(ev) == 5)
    assert [e["id"] for e in again.events] == expected
    assert of(again.events, "reservation.created")[0]["data"]["reservation"] == missed[0]
    # Then live, with nothing repeated from the replay.
    await post(gateway, garage, alice, "add-spot", {"label": "B2-18"})
    await again.until(lambda ev: len(ev) == 6)
    await again.silent_for(0.3)
    assert again.types()[-1] == "spot.updated"
    assert len({e["id"] for e in again.events}) == 6
    await again.close()


def expired_token(garage: Garage, user: UUID) -> str:
    principal = Principal(user, garage.building_id, "resident")
    return issue_access_token(principal, now=time.time() - ACCESS_TOKEN_SECONDS - 3600)


@pytest.mark.parametrize("kind", ["garbage", "expired", "missing", "query-garbage"])
async def test_a_bad_token_is_closed_with_4401(gateway: str, garage: Garage, kind: str) -> None:
    user = garage.user("someone")
    if kind == "missing":
        ws = await connect(ws_url(gateway))
    elif kind == "query-garbage":
        ws = await connect(ws_url(gateway, token="not.a.token"))
    else:
        bad = "x.y.z" if kind == "garbage" else expired_token(garage, user)
        ws = await connect(ws_url(gateway), subprotocols=["bearer", bad])  # type: ignore[list-item]
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_the_token_may_come_as_a_query_parameter(gateway: str, garage: Garage) -> None:
    (alice,) = await residents(garage, "alice")
    ws = await connect(ws_url(gateway, token=token(garage, alice)))
    listener = Listener(ws)
    await post(gateway, garage, alice, "add-spot", {"label": "Q-1"})
    await listener.until(lambda ev: len(ev) == 1)
    assert listener.types() == ["spot.updated"]
    await listener.close()


async def test_a_socket_closes_with_4401_when_its_token_expires(
    gateway: str, garage: Garage
) -> None:
    user = garage.user("someone")
    principal = Principal(user, garage.building_id, "resident", session_id=garage.session(user))
    soon = issue_access_token(principal, now=time.time() - ACCESS_TOKEN_SECONDS + 2)
    listener = await listen(gateway, soon)
    # The resident's own events may still arrive first (their starting credits, published
    # after the socket opened on a busy machine): read on until the close.
    deadline = time.monotonic() + 10
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(listener.ws.recv(), max(0.1, deadline - time.monotonic()))
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_a_bad_last_id_is_closed_with_4400(gateway: str, garage: Garage) -> None:
    listener = await listen(gateway, token(garage, garage.user("x")), last_id="yesterday")
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(listener.ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


async def test_a_ping_is_answered_with_a_pong(gateway: str, garage: Garage) -> None:
    listener = await listen(gateway, token(garage, garage.user("x")))
    assert listener.ws.subprotocol == "bearer"
    await listener.ws.send('{"type":"ping"}')
    assert json.loads(await asyncio.wait_for(listener.ws.recv(), 5)) == {"type": "pong"}
    await listener.close()


async def test_two_relay_processes_each_deliver_every_event(
    api_database: TestDb, redis_url: str, garage: Garage, gateway: str
) -> None:
    alice, bob = await residents(garage, "alice", "bob")
    ports = free_port(), free_port()
    env = server_env(api_database, redis_url)
    with (
        serving(relay_command(ports[0]), env, ports[0]) as one,
        serving(relay_command(ports[1]), env, ports[1]) as two,
    ):
        listeners = [await listen(base, token(garage, bob)) for base in (one, two)]
        spot, start, end = await share_a_spot(gateway, garage, alice)
        await post(gateway, garage, bob, "reserve", {"spot_id": spot, "start": start, "end": end})
        for listener in listeners:
            await listener.until(lambda ev: len(ev) == 4)
            await listener.close()
        first, second = ([e["id"] for e in lst.events] for lst in listeners)
        assert first == second
        assert listeners[0].types() == [
            "spot.updated",
            "availability.changed",
            "credits.changed",
            "reservation.created",
        ]


def _read_close_code(sock: socket.socket, timeout: float) -> int | None:
    """Read raw server frames until a close frame; its code."""
    sock.settimeout(timeout)
    buffer = b""
    upgraded = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 20)
        except TimeoutError:
            return None
        if not chunk:
            return None
        buffer += chunk
        if not upgraded:
            if b"\r\n\r\n" not in buffer:
                continue
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            assert head.startswith(b"HTTP/1.1 101"), head
            upgraded = True
        while len(buffer) >= 2:
            opcode, length = buffer[0] & 0x0F, buffer[1] & 0x7F
            offset = 2
            if length == 126:
                length, offset = int.from_bytes(buffer[2:4]), 4
            elif length == 127:
                length, offset = int.from_bytes(buffer[2:10]), 10
            if len(buffer) < offset + length:
                break
            payload, buffer = buffer[offset : offset + length], buffer[offset + length :]
            if opcode == 0x8:
                return int.from_bytes(payload[:2])
    return None


async def test_a_slow_client_is_dropped_and_stalls_nobody(
    api_database: TestDb, redis_url: str, garage: Garage
) -> None:
    (reader,) = await residents(garage, "reader")
    port = free_port()
    env = server_env(api_database, redis_url) | {
        "PARKSHARE_RELAY_QUEUE_MAX": "300",
        "PARKSHARE_RELAY_SEND_TIMEOUT_SECONDS": "30",
    }
    with serving(relay_command(port), env, port) as base:
        fast = await listen(base, token(garage, reader))
        # A client that stops reading: a tiny receive buffer and a handshake, then nothing.
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", port))
        slow.sendall(
            (
                f"GET /ws?token={token(garage, reader)} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        await asyncio.sleep(0.5)  # let the relay register it
        # Straight into the stream (this tests the relay, not the outbox), in bursts the
        # reading client keeps up with; 4 kB each fills the stalled one's buffers early.
        stream = redis.Redis.from_url(redis_url)
        key = stream_key(garage.building_id)
        payload = json.dumps({"filler": "x" * 4096})
        for burst in range(30):
            pipe = stream.pipeline(transaction=False)
            for n in range(burst * 100, burst * 100 + 100):
                pipe.xadd(key, {"type": "spot.updated", "at": str(n), "data": payload, "user": ""})
            pipe.execute()
            total = burst * 100 + 100
            await fast.until(lambda ev: len(ev) == total, timeout=30)  # noqa: B023
        stream.close()
        assert [e["at"] for e in fast.events] == [str(n) for n in range(3000)]
        code = await asyncio.to_thread(_read_close_code, slow, 30)
        slow.close()
        await fast.close()
    assert code == 1013


async def test_a_relay_shuts_down_cleanly_closing_its_sockets(
    api_database: TestDb, redis_url: str, garage: Garage
) -> None:
    port = free_port()
    env = server_env(api_database, redis_url)
    process = subprocess.Popen(relay_command(port), env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(base + "/healthz", timeout=0.5)
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        listener = await listen(base, token(garage, garage.user("x")))
        process.send_signal(signal.SIGTERM)

        async def until_closed() -> None:
            # Events may still arrive first (the relay publishes what waits in the outbox as
            # it starts, such as this user's starting credits): the close must follow them.
            while True:
                await listener.ws.recv()

        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(until_closed(), 10)
        # Going away (1001, ours) or service restart (1012, the server's): either tells the
        # client to come back, to another instance.
        assert closed.value.rcvd is not None and closed.value.rcvd.code in (1001, 1012)
        # uvicorn re-raises the signal once its graceful shutdown is done.
        assert await asyncio.to_thread(process.wait, 15) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
