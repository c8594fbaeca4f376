"""The operation functions over HTTP: every row of the contract table, success and each code."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from tests.conftest import TestDb
from tests.functions.conftest import bearer
from tests.support import HOUR, Garage, next_hour

Client = Callable[[str], httpx.AsyncClient]


class World:
    """A building over HTTP: Alice owns B2-17, offered for two days; Bob and Carol park."""

    def __init__(self, garage: Garage, client: Client) -> None:
        self.g, self.client = garage, client
        self.admin = garage.admin_id
        self.alice, self.bob, self.carol = (garage.user(n) for n in ("Alice", "Bob", "Carol"))
        self.spot = garage.spot(self.alice, "B2-17")
        self.t0 = next_hour()
        garage.offer(self.alice, self.spot, self.t0, self.t0 + 48 * HOUR)

    def at(self, hours: float) -> str:
        return (self.t0 + timedelta(hours=hours)).isoformat()

    async def call(
        self,
        function: str,
        who: UUID | None,
        *,
        method: str = "POST",
        path: str = "/",
        body: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        role: str = "resident",
    ) -> httpx.Response:
        sent = dict(headers or {})
        if who is not None:
            sent |= bearer(self.g, who, "admin" if who == self.admin else role)
        async with self.client(function) as http:
            return await http.request(method, path, json=body, params=params, headers=sent)

    async def reserve(self, who: UUID, start: float, end: float, **kw: Any) -> httpx.Response:
        body = {
            "spot_id": str(kw.pop("spot", self.spot)),
            "start": self.at(start),
            "end": self.at(end),
        }
        return await self.call("reserve", who, body=body, **kw)


@pytest.fixture
def world(api_garage: Garage, client: Client) -> World:
    return World(api_garage, client)


def problem(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["code"] == code and body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()


# --- add-spot ----------------------------------------------------------------------------


async def test_add_spot_answers_the_spot_with_its_owner(world: World) -> None:
    answer = await world.call("add-spot", world.bob, body={"label": "B2-18", "notes": "EV"})
    assert answer.status_code == 201, answer.text
    spot = answer.json()
    assert spot["label"] == "B2-18" and spot["notes"] == "EV" and spot["location"] is None
    assert spot["owner"] == {"id": str(world.bob), "display_name": "Bob"}
    UUID(spot["id"])


async def test_add_spot_with_a_label_in_use_is_label_taken(world: World) -> None:
    problem(await world.call("add-spot", world.bob, body={"label": "b2-17"}), 409, "label_taken")


# --- set-availability --------------------------------------------------------------------


async def test_set_availability_merges_and_answers_the_windows(world: World) -> None:
    answer = await world.call(
        "set-availability",
        world.alice,
        body={
            "spot_id": str(world.spot),
            "start": world.at(48),
            "end": world.at(50),
            "available": True,
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["spot_id"] == str(world.spot)
    [window] = answer.json()["availability"]
    assert window["end"].endswith("Z")
    assert datetime.fromisoformat(window["end"]) == world.t0 + 50 * HOUR


@pytest.mark.parametrize(
    ("who", "spot", "start", "end", "status", "code"),
    [
        ("bob", "spot", 1, 2, 403, "not_owner"),
        ("alice", "unknown", 1, 2, 404, "spot_not_found"),
        ("alice", "spot", 3, 2, 422, "invalid_window"),
    ],
)
async def test_set_availability_refusals(
    world: World, who: str, spot: str, start: int, end: int, status: int, code: str
) -> None:
    spot_id = world.spot if spot == "spot" else uuid4()
    answer = await world.call(
        "set-availability",
        getattr(world, who),
        body={
            "spot_id": str(spot_id),
            "start": world.at(start),
            "end": world.at(end),
            "available": True,
        },
    )
    problem(answer, status, code)


async def test_withdrawing_over_a_booking_needs_cancel_reservations(world: World) -> None:
    assert (await world.reserve(world.bob, 2, 3)).status_code == 201
    body = {
        "spot_id": str(world.spot),
        "start": world.at(0),
        "end": world.at(5),
        "available": False,
    }
    problem(await world.call("set-availability", world.alice, body=body), 409, "has_reservations")
    answer = await world.call(
        "set-availability", world.alice, body=body | {"cancel_reservations": True}
    )
    assert answer.status_code == 200, answer.text
    assert world.g.balance(world.bob) == 50


# --- list-spots --------------------------------------------------------------------------


async def test_list_spots_shows_status_windows_and_my_reservations(world: World) -> None:
    other = world.g.spot(world.carol, "A-01")
    await world.reserve(world.bob, 1, 3)
    answer = await world.call(
        "list-spots",
        world.bob,
        method="GET",
        params={"start": world.at(1), "end": world.at(2)},
    )
    assert answer.status_code == 200, answer.text
    spots = {s["label"]: s for s in answer.json()["spots"]}
    b217, a01 = spots["B2-17"], spots["A-01"]
    assert b217["free_for_window"] is False and a01["free_for_window"] is False
    assert b217["reservations"] == [
        {
            "start": world.at(1).replace("+00:00", "Z"),
            "end": world.at(3).replace("+00:00", "Z"),
            "mine": True,
        }
    ]
    assert b217["owner"]["display_name"] == "Alice"
    assert a01["status_now"] == "unavailable" and a01["availability"] == []
    assert b217["next_change_at"] is not None
    _ = other


async def test_list_spots_available_only_and_free_first(world: World) -> None:
    second = world.g.spot(world.carol, "A-02")
    world.g.offer(world.carol, second, world.t0, world.t0 + 10 * HOUR)
    await world.reserve(world.bob, 4, 6)
    params = {"start": world.at(4), "end": world.at(5)}
    listed = (await world.call("list-spots", world.carol, method="GET", params=params)).json()
    assert [s["label"] for s in listed["spots"]] == ["A-02", "B2-17"]
    assert listed["spots"][1]["reservations"][0]["mine"] is False
    only = await world.call(
        "list-spots", world.carol, method="GET", params=params | {"available_only": "true"}
    )
    assert [s["label"] for s in only.json()["spots"]] == ["A-02"]


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2030-01-02T10:00:00Z", "end": "2030-01-02T09:00:00Z"},
        {"start": "2030-01-02T10:00:00Z", "end": "2030-06-02T10:00:00Z"},
        {"start": "2030-01-02T10:00:00"},
    ],
)
async def test_list_spots_refuses_a_bad_window(world: World, params: dict[str, str]) -> None:
    problem(
        await world.call("list-spots", world.bob, method="GET", params=params),
        422,
        "invalid_window",
    )


# --- reserve -----------------------------------------------------------------------------


async def test_reserve_books_and_charges_the_cost(world: World) -> None:
    answer = await world.reserve(world.bob, 1, 3)
    assert answer.status_code == 201, answer.text
    r = answer.json()
    assert set(r) == {"id", "spot_id", "user_id", "start", "end", "status", "cost", "checked_in_at"}
    assert r["checked_in_at"] is None
    assert (r["status"], r["cost"], r["user_id"]) == ("booked", 3, str(world.bob))
    assert r["start"] == world.at(1).replace("+00:00", "Z")
    assert world.g.balance(world.bob) == 47


async def test_reserve_accepts_any_offset_and_answers_in_utc(world: World) -> None:
    new_york = timezone(timedelta(hours=-5))
    body = {
        "spot_id": str(world.spot),
        "start": (world.t0 + HOUR).astimezone(new_york).isoformat(),
        "end": (world.t0 + 2 * HOUR)
        .astimezone(timezone(timedelta(hours=5, minutes=30)))
        .isoformat(),
    }
    assert body["start"].endswith("-05:00")
    answer = await world.call("reserve", world.bob, body=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["start"] == world.at(1).replace("+00:00", "Z")
    assert answer.json()["end"] == world.at(2).replace("+00:00", "Z")


async def test_reserve_refusals_each_with_its_code(world: World) -> None:
    poor = world.g.user("Poor")
    world.g.grant(poor, -49, "spent")
    other = world.g.spot(world.carol, "C-1")
    world.g.offer(world.carol, other, world.t0, world.t0 + 10 * HOUR)
    assert (await world.reserve(world.bob, 1, 3)).status_code == 201
    problem(await world.reserve(world.bob, 1, 2, spot=uuid4()), 404, "spot_not_found")
    problem(await world.reserve(world.alice, 5, 6), 403, "own_spot")
    problem(await world.reserve(world.carol, 47, 49), 409, "spot_unavailable")
    problem(await world.reserve(world.carol, 2, 4), 409, "spot_taken")
    problem(await world.reserve(world.bob, 2, 4, spot=other), 409, "overlapping_reservation")
    problem(await world.reserve(poor, 5, 6), 402, "insufficient_credits")
    problem(await world.reserve(world.carol, 6, 5), 422, "invalid_window")
    problem(await world.reserve(world.carol, 5, 30), 422, "invalid_window")


async def test_a_time_without_offset_is_refused(world: World) -> None:
    body = {
        "spot_id": str(world.spot),
        "start": "2030-01-01T10:00:00",
        "end": "2030-01-01T11:00:00",
    }
    problem(await world.call("reserve", world.bob, body=body), 422, "invalid_window")


async def test_idempotent_reserve_answers_the_first_answer_and_books_once(world: World) -> None:
    key = {"Idempotency-Key": "k-" + uuid4().hex}
    first = await world.reserve(world.bob, 1, 2, headers=key)
    again = await world.reserve(world.bob, 1, 2, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert world.g.balance(world.bob) == 47
    problem(await world.reserve(world.bob, 3, 4, headers=key), 409, "idempotency_mismatch")
    other = await world.reserve(world.carol, 5, 6, headers=key)
    assert other.status_code == 201, "keys belong to one user"


# --- cancel ------------------------------------------------------------------------------


async def test_cancel_refusals(world: World) -> None:
    booked = (await world.reserve(world.bob, 1, 2)).json()
    problem(
        await world.call("cancel", world.carol, body={"reservation_id": booked["id"]}),
        403,
        "not_yours",
    )
    problem(
        await world.call("cancel", world.bob, body={"reservation_id": str(uuid4())}),
        404,
        "reservation_not_found",
    )
    world.g.travel(3 * HOUR)
    problem(
        await world.call("cancel", world.bob, body={"reservation_id": booked["id"]}),
        409,
        "already_started",
    )


# --- settle ------------------------------------------------------------------------------


async def test_settle_by_an_admin_settles_their_building(world: World) -> None:
    await world.reserve(world.bob, 1, 2)
    world.g.travel(3 * HOUR)
    problem(await world.call("settle", world.bob), 403, "forbidden")
    answer = await world.call("settle", world.admin)
    assert answer.status_code == 200 and answer.json() == {"settled": 1}
    assert (await world.call("settle", world.admin)).json() == {"settled": 0}
    assert world.g.balance(world.alice) == 53


@pytest.mark.parametrize("mode", ["binary", "structured"])
async def test_settle_from_the_cron_cloud_event(world: World, mode: str) -> None:
    await world.reserve(world.bob, 1, 2)
    world.g.travel(3 * HOUR)
    event = {
        "specversion": "1.0",
        "type": "dev.knative.sources.ping",
        "source": "/apis/v1/namespaces/parkshare/pingsources/settle",
        "id": uuid4().hex,
    }
    if mode == "binary":
        headers = {f"ce-{k}": v for k, v in event.items()} | {"content-type": "application/json"}
        content = b"{}"
    else:
        headers = {"content-type": "application/cloudevents+json"}
        content = json.dumps(event | {"data": {}}).encode()
    async with world.client("settle") as http:
        answer = await http.post("/", content=content, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["settled"] >= 1
    assert world.g.balance(world.alice) == 53


# --- me ----------------------------------------------------------------------------------


async def test_me_shows_credits_spots_reservations_and_ledger(world: World) -> None:
    done = (await world.reserve(world.bob, 1, 2)).json()
    later = (await world.reserve(world.bob, 5, 6)).json()
    await world.call("cancel", world.bob, body={"reservation_id": later["id"]})
    soon = (await world.reserve(world.bob, 8, 9)).json()
    page = (await world.call("me", world.bob, method="GET")).json()
    assert page["user"]["display_name"] == "Bob" and page["credits"] == 44
    assert page["spots"] == []
    assert [r["id"] for r in page["reservations"]["upcoming"]] == [done["id"], soon["id"]]
    assert [r["id"] for r in page["reservations"]["past"]] == [later["id"]]
    assert [(e["kind"], e["amount"]) for e in page["ledger"]] == [
        ("hold", -3),
        ("refund", 3),
        ("hold", -3),
        ("hold", -3),
        ("grant", 50),
    ]
    alice = (await world.call("me", world.alice, method="GET")).json()
    assert [s["label"] for s in alice["spots"]] == ["B2-17"]


# --- what every function does with bad input ---------------------------------------------


async def test_bad_input_is_a_4xx_problem(world: World) -> None:
    ok = {"reservation_id": str(uuid4())}
    problem(await world.call("cancel", world.bob, body=ok | {"extra": 1}), 422, "invalid_request")
    problem(
        await world.call("cancel", world.bob, body={"reservation_id": "nope"}),
        422,
        "invalid_request",
    )
    problem(await world.call("cancel", world.bob, body=[1, 2]), 422, "invalid_request")
    for text, status, code in (
        ("nul\\u0000byte", 422, "invalid_request"),
        ("lone\\ud800surrogate", 400, "invalid_json"),
    ):
        raw = ('{"label": "' + text + '"}').encode()
        async with world.client("add-spot") as http:
            answer = await http.post(
                "/",
                content=raw,
                headers=bearer(world.g, world.bob) | {"content-type": "application/json"},
            )
        problem(answer, status, code)
    async with world.client("cancel") as http:
        auth = bearer(world.g, world.bob)
        problem(
            await http.post(
                "/", content=b"{nope", headers=auth | {"content-type": "application/json"}
            ),
            400,
            "invalid_json",
        )
        problem(
            await http.post("/", content=b"{}", headers=auth | {"content-type": "text/plain"}),
            415,
            "unsupported_media_type",
        )
        problem(
            await http.post(
                "/", content=b" " * 200_000, headers=auth | {"content-type": "application/json"}
            ),
            413,
            "payload_too_large",
        )
        problem(await http.get("/", headers=auth), 405, "method_not_allowed")
        problem(await http.post("/nowhere", json=ok, headers=auth), 404, "not_found")
        problem(await http.post("/", json=ok), 401, "unauthenticated")


async def test_another_buildings_ids_are_not_found(
    world: World, api_database: TestDb, client: Client
) -> None:
    elsewhere = Garage.create(api_database)
    try:
        stranger = elsewhere.user("Stranger")
        spot = elsewhere.spot(stranger)
        elsewhere.offer(stranger, spot, world.t0, world.t0 + 10 * HOUR)
        theirs = elsewhere.reserve(
            elsewhere.user("Them"), spot, world.t0 + HOUR, world.t0 + 2 * HOUR
        )
        problem(await world.reserve(world.bob, 1, 2, spot=spot), 404, "spot_not_found")
        problem(
            await world.call("cancel", world.bob, body={"reservation_id": str(theirs["id"])}),
            404,
            "reservation_not_found",
        )
        problem(
            await world.call(
                "set-availability",
                world.alice,
                body={
                    "spot_id": str(spot),
                    "start": world.at(1),
                    "end": world.at(2),
                    "available": False,
                },
            ),
            404,
            "spot_not_found",
        )
        listed = (await world.call("list-spots", world.bob, method="GET")).json()["spots"]
        assert str(spot) not in {s["id"] for s in listed}
    finally:
        elsewhere.close()
