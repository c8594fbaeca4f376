from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.functions.conftest import bearer
from tests.support import HOUR, Garage, next_hour


async def test_cancel_refunds_and_answers_the_cancelled_reservation(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage
) -> None:
    g = api_garage
    alice, bob = g.user("Alice"), g.user("Bob")
    spot = g.spot(alice)
    g.offer(alice, spot, next_hour(), next_hour(10))
    booked = g.reserve(bob, spot, next_hour(2), next_hour(3))
    async with client("cancel") as http:
        answer = await http.post(
            "/", json={"reservation_id": str(booked["id"])}, headers=bearer(g, bob)
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cancelled"
    assert answer.json()["start"].endswith("Z")
    assert g.balance(bob) == 50
    _ = HOUR
