"""Publishing under concurrency: many writers of one building, one publisher at a time, and
still every event on the stream exactly once, without waiting for a sweep. (Transactions
commit in another order than they took their outbox ids, so across transactions the stream
follows publication, not id, order; the ids of each batch go out in order.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
import redis
import redis.asyncio as aioredis

from parkshare.config import get_settings
from parkshare.live import events
from parkshare.live.stream import stream_key
from parkshare.store import db
from tests.conftest import bearer, published
from tests.gateway.conftest import free_port
from tests.support import Garage, next_hour

WRITERS = 16


async def test_concurrent_writers_leave_nothing_unpublished_and_keep_the_order(
    api_garage: Garage,
    client: Callable[[str], httpx.AsyncClient],
    redis_url: str,
    publisher: events.Publisher,
) -> None:
    owner = api_garage.user("owner")
    parkers = [api_garage.user(f"p{i}") for i in range(WRITERS)]
    spots = [api_garage.spot(owner, f"S-{i}") for i in range(WRITERS)]
    start = next_hour()
    for spot in spots:
        api_garage.offer(owner, spot, start, start + timedelta(hours=8))

    async def book(i: int) -> int:
        body = {
            "spot_id": str(spots[i]),
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
        }
        async with client("reserve") as http:
            answer = await http.post("/", json=body, headers=bearer(api_garage, parkers[i]))
        return answer.status_code

    assert await asyncio.gather(*(book(i) for i in range(WRITERS))) == [201] * WRITERS
    await published(api_garage)
    outbox = api_garage.outbox()
    assert [e for e in outbox if e["published_at"] is None] == []
    stream = redis.Redis.from_url(redis_url)
    entries: list[tuple[bytes, dict[bytes, bytes]]] = stream.xrange(  # type: ignore[assignment]
        stream_key(api_garage.building_id)
    )
    stream.close()
    on_stream = [int(fields[b"outbox"]) for _, fields in entries]
    assert sorted(on_stream) == [e["id"] for e in outbox], "each event exactly once"
    by_outbox = {int(fields[b"outbox"]): i.decode() for i, fields in entries}
    assert {e["id"]: e["stream_id"] for e in outbox} == by_outbox


async def test_events_go_out_once_when_redis_goes_before_the_timer_is_set(
    api_garage: Garage,
    pool: db.Pool,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The events are on the stream, then the worker's timer cannot be reached (Redis going
    away between the two): the events stay published, and publishing again adds nothing."""
    owner, parker = api_garage.user("owner"), api_garage.user("parker")
    spot = api_garage.spot(owner)
    start = next_hour() + timedelta(hours=1)
    api_garage.offer(owner, spot, start, start + timedelta(hours=2))
    api_garage.reserve(parker, spot, start, start + timedelta(hours=1))
    waiting = len(api_garage.outbox())
    assert waiting >= 1 and api_garage.outbox("reservation.created")
    # The queue (and so the timer) at an address where nothing answers; the stream's client
    # is the real server's.
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    get_settings.cache_clear()
    stream = aioredis.Redis.from_url(redis_url)
    try:
        published = await events.publish_building(
            events._system_transactions, stream, api_garage.building_id
        )
        assert published == waiting
        assert [e for e in api_garage.outbox() if e["published_at"] is None] == []
        assert (
            await events.publish_building(
                events._system_transactions, stream, api_garage.building_id
            )
            == 0
        )
        on_stream = await stream.xlen(stream_key(api_garage.building_id))
    finally:
        await stream.aclose()
        monkeypatch.undo()
        get_settings.cache_clear()
    assert on_stream == waiting, "each event exactly once"
