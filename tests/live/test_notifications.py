"""notification.created through the relay: each notification reaches its own user's socket
and no other resident's, though they hear the booking that caused it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import TestDb
from tests.live.conftest import listen
from tests.live.test_relay import of, post, residents, share_a_spot, token
from tests.support import Garage


@pytest.fixture
def garage(api_database: TestDb) -> Iterator[Garage]:
    built = Garage.create(api_database)
    yield built
    built.close()


async def test_a_notification_reaches_its_user_only(gateway: str, garage: Garage) -> None:
    alice, bob, carol = await residents(garage, "alice", "bob", "carol")
    at_alice = await listen(gateway, token(garage, alice))
    at_bob = await listen(gateway, token(garage, bob))
    at_carol = await listen(gateway, token(garage, carol))

    spot, start, end = await share_a_spot(gateway, garage, alice)
    booked = await post(
        gateway, garage, bob, "reserve", {"spot_id": spot, "start": start, "end": end}
    )
    await at_bob.until(lambda ev: bool(of(ev, "notification.created")))
    await at_alice.until(lambda ev: bool(of(ev, "notification.created")))
    (to_bob,) = of(at_bob.events, "notification.created")
    (to_alice,) = of(at_alice.events, "notification.created")
    assert to_bob["data"]["notification"]["kind"] == "booking.confirmed"
    assert to_bob["data"]["notification"]["data"]["reservation_id"] == booked["id"]
    assert set(to_bob["data"]) == {"notification"}
    assert to_alice["data"]["notification"]["kind"] == "spot.booked"

    # Carol hears the booking and then a later write of her own: everything the booking's
    # transaction announced came before it, in stream order, and none of it was hers.
    await post(gateway, garage, carol, "add-spot", {"label": "C-1"})
    await at_carol.until(lambda ev: len(of(ev, "spot.updated")) == 2)
    assert of(at_carol.events, "reservation.created")
    assert of(at_carol.events, "notification.created") == []
    # Nor did the other two hear each other's.
    await at_alice.until(lambda ev: len(of(ev, "spot.updated")) == 2)
    assert len(of(at_alice.events, "notification.created")) == 1
    for listener in (at_alice, at_bob, at_carol):
        await listener.close()
