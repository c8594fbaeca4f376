"""The stream's one codec: what the publisher appends is what the relay and GraphQL
subscriptions read back, through a real Redis."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import redis

from parkshare.live.stream import Entry, board_text, entry_fields, stream_key


def test_an_entry_reads_back_as_the_event_clients_receive(redis_client: redis.Redis) -> None:
    building, user = uuid.uuid4(), uuid.uuid4()
    key = stream_key(building)
    data = {"spot": {"id": str(uuid.uuid4()), "label": "B1-05 ✓", "notes": 'a "quoted"\nline'}}
    at = datetime(2026, 3, 29, 1, 30, 0, 250000, tzinfo=UTC)
    try:
        for user_id in (None, user):
            redis_client.xadd(key, entry_fields("spot.updated", at, data, user_id, 42))  # type: ignore[arg-type]
        raw: list[tuple[bytes, dict[bytes, bytes]]] = redis_client.xrange(key)  # type: ignore[assignment]
    finally:
        redis_client.delete(key)
    everyone, addressed = (Entry.read(entry_id, fields) for entry_id, fields in raw)
    assert json.loads(everyone.client_text(building)) == {
        "id": raw[0][0].decode(),
        "type": "spot.updated",
        "building_id": str(building),
        "at": "2026-03-29T01:30:00.250000Z",
        "data": data,
    }
    assert everyone.client_event() == {
        "id": raw[0][0].decode(),
        "type": "spot.updated",
        "at": "2026-03-29T01:30:00.250000Z",
        "data": data,
    }
    assert everyone.for_user(uuid.uuid4())
    assert addressed.for_user(user) and addressed.for_user(str(user))
    assert not addressed.for_user(uuid.uuid4())


def test_a_display_receives_the_garage_events_without_the_people_in_them() -> None:
    def event(type: str, data: dict[str, object]) -> str:
        return json.dumps({"id": "1-0", "type": type, "building_id": "b", "at": "t", "data": data})

    spot = {"id": "s", "label": "B1", "location": "L-1", "notes": "call Ann"}
    spot_text = board_text(
        event("spot.updated", {"spot": {**spot, "owner": {"id": "u", "display_name": "Ann"}}})
    )
    assert spot_text is not None
    assert json.loads(spot_text)["data"] == {"spot": {"id": "s", "label": "B1", "location": "L-1"}}
    booking = {"id": "r", "spot_id": "s", "user_id": "u", "status": "booked"}
    booked = board_text(event("reservation.no_show", {"reservation": booking}))
    assert booked is not None
    assert json.loads(booked)["data"] == {
        "reservation": {"id": "r", "spot_id": "s", "status": "booked"}
    }
    window = {"spot_id": "s", "start": "a", "end": "b", "available": True}
    assert json.loads(board_text(event("availability.changed", window)) or "")["data"] == window
    for private in ("credits.changed", "notification.created", "request.matched"):
        assert board_text(event(private, {"user_id": "u"})) is None
