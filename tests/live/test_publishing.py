"""Publishing under concurrency: many writers of one building, one publisher at a time, and
still every event on the stream exactly once, without waiting for a sweep. (Transactions
commit in another order than they took their outbox ids, so across transactions the stream
follows publication, not id, order; the ids of each batch go out in order.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import httpx
import redis

from parkshare import events
from parkshare.events import stream_key
from tests.conftest import bearer, published
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
