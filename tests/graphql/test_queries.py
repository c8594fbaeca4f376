"""GraphQL reads: the screens' one-request queries, batched reads (no N+1), row-level
security, the admin-only field, and the limits that refuse abusive documents."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx

from parkshare.gql.view import build_schema, sdl
from parkshare.run.cli import SCHEMA_FILE
from parkshare.store import db
from parkshare.store.db import admin_connect
from tests.functions.conftest import bearer, code_of
from tests.graphql.conftest import data, gql
from tests.support import HOUR, Garage, next_hour

# The README's example: free spots tomorrow 9-17 with their owner's name and next booking.
FREE_TOMORROW = """
query FreeTomorrow($window: WindowInput!) {
  spots(window: $window, availableOnly: true) {
    label
    owner { displayName }
    nextReservation { start end }
  }
}
"""

GARAGE_SCREEN = """
{
  spots {
    id label location notes statusNow freeForWindow nextChangeAt
    owner { id displayName }
    availability { start end }
    reservations { start end mine }
    nextReservation { start end mine }
  }
}
"""


def errors_of(answer: httpx.Response) -> list[dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return list(answer.json()["errors"])


async def test_free_spots_tomorrow_with_owner_and_next_booking_in_one_request(
    api_garage: Garage,
) -> None:
    g = api_garage
    owner, parker, asker = g.user("Olga"), g.user("Paul"), g.user("Ana")
    tomorrow = next_hour(1).replace(hour=0) + timedelta(days=1)
    nine, five = tomorrow + 8 * HOUR, tomorrow + 16 * HOUR  # 9-17 in Paris, in UTC
    free, taken, closed = g.spot(owner, "B2-17"), g.spot(owner, "B2-18"), g.spot(owner, "B2-19")
    g.offer(owner, free, nine - 2 * HOUR, five + 4 * HOUR)
    g.offer(owner, taken, nine, five)
    g.offer(owner, closed, nine, nine + HOUR)
    g.reserve(parker, taken, nine + HOUR, nine + 2 * HOUR)
    g.reserve(parker, free, five + HOUR, five + 2 * HOUR)
    answer = await gql(
        FREE_TOMORROW,
        bearer(g, asker),
        {"window": {"start": nine.isoformat(), "end": five.isoformat()}},
    )
    assert data(answer)["spots"] == [
        {
            "label": "B2-17",
            "owner": {"displayName": "Olga"},
            "nextReservation": {
                "start": (five + HOUR).isoformat().replace("+00:00", "Z"),
                "end": (five + 2 * HOUR).isoformat().replace("+00:00", "Z"),
            },
        }
    ]


async def test_two_hundred_spots_cost_a_constant_number_of_statements(
    api_garage: Garage,
) -> None:
    g = api_garage
    owners = [g.user(f"Owner{i}") for i in range(4)]
    parker = g.user("Paul")
    start = next_hour(1)
    with admin_connect(g.db.admin_url) as admin:
        # Two hundred spots with a window and a booking each, written in bulk by the
        # superuser: the rules are not what this test is about, the reads are.
        spots = admin.execute(
            "INSERT INTO parkshare.spots (building_id, owner_id, label)"
            " SELECT %s, (%s::uuid[])[1 + i %% 4], 'S-' || i FROM generate_series(1, 200) i"
            " RETURNING id",
            (g.building_id, owners),
        ).fetchall()
        ids = [row["id"] for row in spots]
        admin.execute(
            "INSERT INTO parkshare.availability (building_id, spot_id, period)"
            " SELECT %s, id, tstzrange(%s, %s) FROM unnest(%s::uuid[]) id",
            (g.building_id, start, start + 20 * HOUR, ids),
        )
    g.reserve(parker, ids[0], start + HOUR, start + 2 * HOUR)
    counted = [0]
    token = db.transactions_counted.set(counted)
    try:
        answer = await gql(GARAGE_SCREEN, bearer(g, parker))
    finally:
        db.transactions_counted.reset(token)
    listed = data(answer)["spots"]
    assert len(listed) == 200
    assert all(s["owner"]["displayName"].startswith("Owner") for s in listed)
    assert sum(1 for s in listed if s["nextReservation"] is not None) == 1
    # The spots (with owners, windows and bookings) in one statement, every next booking in
    # another: two, however many spots there are.
    assert counted[0] <= 3, f"{counted[0]} statements for 200 spots"


async def test_a_reservation_list_loads_its_spots_in_one_batch(api_garage: Garage) -> None:
    g = api_garage
    owner, parker = g.user("Olga"), g.user("Paul")
    start = next_hour(1)
    for i in range(5):
        spot = g.spot(owner, f"R-{i}")
        g.offer(owner, spot, start, start + 10 * HOUR)
        g.reserve(parker, spot, start + i * HOUR, start + (i + 1) * HOUR)
    counted = [0]
    token = db.transactions_counted.set(counted)
    try:
        answer = await gql(
            "{ reservations { start cost status spot { label owner { displayName } } } }",
            bearer(g, parker),
        )
    finally:
        db.transactions_counted.reset(token)
    listed = data(answer)["reservations"]
    assert [r["spot"]["label"] for r in listed] == [f"R-{i}" for i in range(5)]
    assert {r["status"] for r in listed} == {"BOOKED"} and {r["cost"] for r in listed} == {3}
    assert counted[0] == 2


async def test_me_in_one_request(api_garage: Garage) -> None:
    g = api_garage
    owner, parker = g.user("Olga"), g.user("Paul")
    spot = g.spot(owner, "B2-17")
    g.offer(owner, spot, next_hour(1), next_hour(9))
    g.reserve(parker, spot, next_hour(2), next_hour(3))
    page = data(
        await gql(
            "{ me { user { displayName } role credits building { name timezone policy { cost } }"
            " upcoming { cost spot { label } } ledger { kind amount } } }",
            bearer(g, parker),
        )
    )["me"]
    assert page["user"] == {"displayName": "Paul"} and page["credits"] == 47
    assert page["building"]["timezone"] == "Europe/Paris"
    assert page["upcoming"] == [{"cost": 3, "spot": {"label": "B2-17"}}]
    assert [e["kind"] for e in page["ledger"]] == ["hold", "grant"]


async def test_another_buildings_spot_is_not_there(api_garage: Garage) -> None:
    other = Garage.create(api_garage.db)
    try:
        theirs = other.spot(other.user("Zed"))
        answer = await gql(
            "query($id: ID!) { spot(id: $id) { label } }",
            bearer(api_garage, api_garage.user("Ana")),
            {"id": str(theirs)},
        )
        assert data(answer) == {"spot": None}
        listed = data(await gql("{ spots { id } }", bearer(api_garage, api_garage.admin_id)))
        assert str(theirs) not in {s["id"] for s in listed["spots"]}
    finally:
        other.close()


async def test_the_residents_field_is_for_admins_only(api_garage: Garage) -> None:
    g = api_garage
    resident = g.user("Ana")
    query = "{ building { name residents { displayName credits } } }"
    refused = errors_of(await gql(query, bearer(g, resident)))
    assert [(e["path"], e["extensions"]) for e in refused] == [
        (["building", "residents"], {"code": "forbidden", "status": 403})
    ]
    listed = data(await gql(query, bearer(g, g.admin_id, "admin")))["building"]["residents"]
    assert {r["displayName"] for r in listed} == {"Admin", "Ana"}


async def test_no_token_is_a_401_problem(api_garage: Garage) -> None:
    answer = await gql("{ me { credits } }", {})
    assert answer.status_code == 401 and code_of(answer) == "unauthenticated"


async def test_a_time_without_an_offset_is_refused(api_garage: Garage) -> None:
    answer = await gql(
        '{ spots(window: {start: "2030-01-01T09:00:00", end: "2030-01-01T17:00:00Z"}) { id } }',
        bearer(api_garage, api_garage.user("Ana")),
    )
    assert "offset" in errors_of(answer)[0]["message"]


# --- limits -------------------------------------------------------------------------------


async def test_a_costly_query_is_refused_before_it_runs(api_garage: Garage) -> None:
    aliases = " ".join(
        f"a{i}: spots {{ label availability {{ start end }} reservations {{ start end mine }} }}"
        for i in range(6)
    )
    counted = [0]
    token = db.transactions_counted.set(counted)
    try:
        answer = await gql(f"{{ {aliases} }}", bearer(api_garage, api_garage.user("Ana")))
    finally:
        db.transactions_counted.reset(token)
    [error] = errors_of(answer)
    assert error["extensions"]["code"] == "query_too_costly"
    assert "cost" in error["message"] and counted[0] == 0


async def test_a_deep_query_is_refused(api_garage: Garage) -> None:
    deep = "{ me { upcoming { spot { owner { " + "a { " * 8 + "b" + " }" * 8 + " } } } } }"
    messages = [e["message"] for e in errors_of(await gql(deep, bearer(api_garage, uuid.uuid4())))]
    assert any("exceeds maximum operation depth" in m for m in messages), messages


async def test_too_many_aliases_are_refused(api_garage: Garage) -> None:
    many = "{ " + " ".join(f"a{i}: building {{ name }}" for i in range(20)) + " }"
    messages = [e["message"] for e in errors_of(await gql(many, bearer(api_garage, uuid.uuid4())))]
    assert any("aliases" in m for m in messages), messages


async def test_an_oversized_document_is_refused(api_garage: Garage) -> None:
    padding = "# " + "x" * 70_000 + "\n"
    answer = await gql(padding + "{ building { name } }", bearer(api_garage, uuid.uuid4()))
    assert answer.status_code == 413 and code_of(answer) == "payload_too_large"


def test_introspection_can_be_turned_off() -> None:
    query = "{ __schema { queryType { name } } }"
    assert build_schema(introspection=True).execute_sync(query).errors is None
    refused = build_schema(introspection=False).execute_sync(query).errors
    assert refused and "introspection" in refused[0].message.lower()


def test_the_exported_schema_has_not_drifted() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl(), "run `just graphql-schema`"
