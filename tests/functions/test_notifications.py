"""The notifications function over HTTP: every route and code of the contract's table, strict
bodies and queries, and a resident's notifications and choices their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.functions.conftest import bearer, code_of
from tests.support import HOUR, Garage, next_hour

Client = Callable[[str], httpx.AsyncClient]


class Building:
    """Olga owns spot N1, offered tomorrow; Paul books it; Rita has nothing."""

    def __init__(self, garage: Garage, client: Client) -> None:
        self.g, self.client = garage, client
        self.olga, self.paul, self.rita = (garage.user(n) for n in ("Olga", "Paul", "Rita"))
        self.spot = garage.spot(self.olga, "N1")
        self.start = next_hour(24)
        garage.offer(self.olga, self.spot, self.start, self.start + 6 * HOUR)

    def book(self, hours: int = 1) -> UUID:
        start = self.start + hours * HOUR
        return UUID(str(self.g.reserve(self.paul, self.spot, start, start + HOUR)["id"]))

    async def call(
        self, who: UUID | None, method: str = "GET", path: str = "/", body: Any = None, **kw: Any
    ) -> httpx.Response:
        headers = {} if who is None else bearer(self.g, who)
        async with self.client("notifications") as http:
            return await http.request(method, path, json=body, headers=headers, **kw)


@pytest.fixture
def b(api_garage: Garage, client: Client) -> Building:
    return Building(api_garage, client)


async def test_the_list_answers_the_callers_notifications_newest_first(b: Building) -> None:
    first, second = b.book(0), b.book(2)
    answer = await b.call(b.paul)
    assert answer.status_code == 200, answer.text
    listed = answer.json()
    assert listed["unread"] == 2
    assert [n["data"]["reservation_id"] for n in listed["notifications"]] == [
        str(second),
        str(first),
    ]
    note = listed["notifications"][0]
    assert note == {
        "id": note["id"],
        "kind": "booking.confirmed",
        "at": note["at"],
        "read": False,
        "title": "Booking confirmed",
        "body": note["body"],
        "data": note["data"],
    }
    assert note["body"].startswith("Spot N1, ")
    owner = (await b.call(b.olga)).json()
    assert [n["kind"] for n in owner["notifications"]] == ["spot.booked", "spot.booked"]
    assert (await b.call(b.rita)).json() == {"notifications": [], "unread": 0}


async def test_before_and_limit_page_through(b: Building) -> None:
    for hours in (0, 2, 4):
        b.book(hours)
    everything = (await b.call(b.paul)).json()["notifications"]
    page = (await b.call(b.paul, params={"limit": "2"})).json()
    assert [n["id"] for n in page["notifications"]] == [n["id"] for n in everything[:2]]
    rest = await b.call(b.paul, params={"before": str(everything[1]["id"]), "limit": "100"})
    assert [n["id"] for n in rest.json()["notifications"]] == [everything[2]["id"]]
    assert rest.json()["unread"] == 3


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "101"},
        {"limit": "0"},
        {"limit": "ten"},
        {"before": "x"},
        {"before": "99999999999999999999"},
        {"after": "1"},
    ],
)
async def test_a_bad_page_is_invalid_request(b: Building, params: dict[str, str]) -> None:
    answer = await b.call(b.paul, params=params)
    assert (answer.status_code, code_of(answer)) == (422, "invalid_request"), answer.text


async def test_reading_by_ids_and_all(b: Building) -> None:
    b.book(0)
    b.book(2)
    ids = [n["id"] for n in (await b.call(b.paul)).json()["notifications"]]
    answer = await b.call(b.paul, "POST", "/read", {"ids": [ids[0]]})
    assert answer.status_code == 204 and answer.content == b""
    listed = (await b.call(b.paul)).json()
    assert listed["unread"] == 1
    assert [n["read"] for n in listed["notifications"]] == [True, False]
    # Another's ids change nothing of theirs.
    assert (await b.call(b.olga, "POST", "/read", {"ids": ids})).status_code == 204
    assert (await b.call(b.paul)).json()["unread"] == 1
    assert (await b.call(b.paul, "POST", "/read", {"all": True})).status_code == 204
    assert (await b.call(b.paul)).json()["unread"] == 0
    assert (await b.call(b.olga)).json()["unread"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": [1], "all": True},
        {"all": False},
        {"ids": ["1"]},
        {"ids": [True]},
        {"all": "true"},
        {"all_": True},
        {"ids": [1], "extra": 1},
        {"ids": [99999999999999999999]},
        [],
    ],
)
async def test_a_bad_read_is_invalid_request(b: Building, body: Any) -> None:
    answer = await b.call(b.paul, "POST", "/read", body)
    assert (answer.status_code, code_of(answer)) == (422, "invalid_request"), answer.text


async def test_preferences_answer_the_defaults_then_merge(b: Building) -> None:
    answer = await b.call(b.paul, "GET", "/preferences")
    assert answer.status_code == 200, answer.text
    defaults = answer.json()
    assert defaults["remind_minutes"] == 15 and defaults["locale"] == "en"
    assert defaults["email"]["booking.ends_soon"] is False
    assert all(v for k, v in defaults["email"].items() if k != "booking.ends_soon")
    changed = await b.call(
        b.paul, "PUT", "/preferences", {"email": {"credits.earned": False}, "remind_minutes": 60}
    )
    assert changed.status_code == 200, changed.text
    again = await b.call(b.paul, "PUT", "/preferences", {"locale": "de"})
    assert again.json() == {
        "email": defaults["email"] | {"credits.earned": False},
        "remind_minutes": 60,
        "locale": "de",
    }
    assert (await b.call(b.paul, "GET", "/preferences")).json() == again.json()
    assert (await b.call(b.rita, "GET", "/preferences")).json() == defaults


@pytest.mark.parametrize(
    "body",
    [
        {"email": {"booking.teleported": True}},
        {"email": {"spot.booked": "yes"}},
        {"email": ["spot.booked"]},
        {"remind_minutes": 1441},
        {"remind_minutes": -5},
        {"remind_minutes": "15"},
        {"remind_minutes": 2**40},
        {"locale": "it"},
        {"timezone": "Europe/Paris"},
    ],
)
async def test_bad_preferences_are_invalid_request(b: Building, body: Any) -> None:
    answer = await b.call(b.paul, "PUT", "/preferences", body)
    assert (answer.status_code, code_of(answer)) == (422, "invalid_request"), answer.text
    assert (await b.call(b.paul, "GET", "/preferences")).json()["remind_minutes"] == 15


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("POST", "/read"), ("GET", "/preferences"), ("PUT", "/preferences")],
)
async def test_every_route_needs_a_token(b: Building, method: str, path: str) -> None:
    answer = await b.call(None, method, path, {"all": True} if method != "GET" else None)
    assert (answer.status_code, code_of(answer)) == (401, "unauthenticated")
