"""GET /fn/admin/deliveries: the building's email deliveries, newest first, for its admin
only; filtered by state, limited, other buildings' never shown."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from parkshare.store.db import admin_connect
from tests.conftest import TestDb
from tests.functions.conftest import bearer, code_of, from_address
from tests.support import Garage, next_hour


async def get(garage: Garage, user: Any, role: str = "admin", **params: str) -> httpx.Response:
    async with from_address("admin") as http:
        return await http.get("/deliveries", params=params, headers=bearer(garage, user, role))


def book(garage: Garage, label: str, hours_ahead: int) -> tuple[Any, Any]:
    owner, parker = garage.user(f"Owner{label}"), garage.user(f"Parker{label}")
    spot = garage.spot(owner, label)
    start = next_hour(hours_ahead)
    garage.offer(owner, spot, start, start + timedelta(hours=2))
    garage.reserve(parker, spot, start, start + timedelta(hours=1))
    return owner, parker


@pytest.fixture
def other_garage(api_database: TestDb) -> Iterator[Garage]:
    built = Garage.create(api_database)
    yield built
    built.close()


async def test_the_admin_sees_the_buildings_deliveries_newest_first(
    api_garage: Garage, other_garage: Garage
) -> None:
    owner, parker = book(api_garage, "D1", 24)
    book(other_garage, "X1", 24)
    answer = await get(api_garage, api_garage.admin_id)
    assert answer.status_code == 200, answer.text
    listed = answer.json()["deliveries"]
    assert {(d["kind"], d["user"]["id"]) for d in listed} == {
        ("booking.confirmed", str(parker)),
        ("spot.booked", str(owner)),
    }
    assert [d["created_at"] for d in listed] == sorted(
        (d["created_at"] for d in listed), reverse=True
    )
    first = listed[0]
    assert first["state"] == "pending" and first["attempts"] == 0
    assert first["channel"] == "email" and first["sent_at"] is None
    assert first["next_attempt_at"] is not None and first["address"].endswith("@test.example")


async def test_state_and_limit_filter(api_garage: Garage) -> None:
    book(api_garage, "D2", 24)
    book(api_garage, "D3", 26)
    with admin_connect(api_garage.db.admin_url) as admin:
        admin.execute(
            "UPDATE parkshare.deliveries SET state = 'skipped' WHERE building_id = %s"
            " AND id = (SELECT id FROM parkshare.deliveries WHERE building_id = %s LIMIT 1)",
            (api_garage.building_id, api_garage.building_id),
        )
    skipped = (await get(api_garage, api_garage.admin_id, state="skipped")).json()
    assert [d["state"] for d in skipped["deliveries"]] == ["skipped"]
    pending = (await get(api_garage, api_garage.admin_id, state="pending")).json()
    assert [d["state"] for d in pending["deliveries"]] == ["pending"] * 3
    two = (await get(api_garage, api_garage.admin_id, limit="2")).json()
    assert len(two["deliveries"]) == 2


@pytest.mark.parametrize(
    "params", [{"state": "lost"}, {"limit": "0"}, {"limit": "501"}, {"before": "1"}]
)
async def test_a_bad_query_is_invalid_request(api_garage: Garage, params: dict[str, str]) -> None:
    answer = await get(api_garage, api_garage.admin_id, **params)
    assert (answer.status_code, code_of(answer)) == (422, "invalid_request"), answer.text


async def test_a_resident_is_forbidden(api_garage: Garage) -> None:
    resident = api_garage.user("Rita")
    answer = await get(api_garage, resident, role="resident")
    assert (answer.status_code, code_of(answer)) == (403, "forbidden")
