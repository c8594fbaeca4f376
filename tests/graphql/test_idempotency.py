"""GraphQL `reserve` takes REST's Idempotency-Key header, with REST's answers: a replay answers
the first answer and books once, the key with another body is REST's refusal, and a key is
one key whichever path used it first."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from parkshare import functions, ops
from tests.functions.conftest import bearer, from_address
from tests.graphql.conftest import data, gql
from tests.support import HOUR, Garage, next_hour

RESERVE = (
    "mutation($i: ReserveInput!) { r: reserve(input: $i) {"
    " ... on Reservation { id spotId userId start end status cost }"
    " ... on Problem { code httpStatus: status } } }"
)


class Offered:
    """Olga's spot, offered for a day; Pia parks."""

    def __init__(self, garage: Garage) -> None:
        self.g = garage
        owner, self.parker = garage.user("Olga"), garage.user("Pia")
        self.spot = garage.spot(owner, "B2-17")
        self.t0: datetime = next_hour()
        garage.offer(owner, self.spot, self.t0, self.t0 + 24 * HOUR)

    def body(self, start: int, end: int) -> dict[str, str]:
        return {
            "spot_id": str(self.spot),
            "start": (self.t0 + start * HOUR).isoformat(),
            "end": (self.t0 + end * HOUR).isoformat(),
        }

    def headers(self, key: str) -> dict[str, str]:
        return bearer(self.g, self.parker) | {"Idempotency-Key": key}

    async def graphql(self, key: str, start: int, end: int) -> dict[str, Any]:
        body = self.body(start, end)
        variables = {"i": {"spotId": body["spot_id"], "start": body["start"], "end": body["end"]}}
        return dict(data(await gql(RESERVE, self.headers(key), variables))["r"])

    async def rest(self, key: str, start: int, end: int) -> httpx.Response:
        async with from_address("reserve") as http:
            return await http.post("/", json=self.body(start, end), headers=self.headers(key))

    def bookings(self) -> int:
        return len(self.g.outbox("reservation.created"))


@pytest.fixture
def offered(api_garage: Garage) -> Offered:
    return Offered(api_garage)


def a_key() -> str:
    return "k-" + uuid4().hex


async def test_a_replayed_graphql_reserve_answers_the_first_answer_and_books_once(
    offered: Offered,
) -> None:
    key = a_key()
    first = await offered.graphql(key, 1, 2)
    again = await offered.graphql(key, 1, 2)
    assert "code" not in first, first
    assert again == first
    assert first["userId"] == str(offered.parker) and first["status"] == "BOOKED"
    assert offered.bookings() == 1
    assert offered.g.balance(offered.parker) == 47


async def test_the_key_with_another_window_is_refused_over_graphql_as_over_rest(
    offered: Offered,
) -> None:
    over_graphql, over_rest = a_key(), a_key()
    assert "id" in await offered.graphql(over_graphql, 1, 2)
    refused = await offered.graphql(over_graphql, 3, 4)
    assert (await offered.rest(over_rest, 5, 6)).status_code == 201
    rest_refusal = (await offered.rest(over_rest, 7, 8)).json()
    assert refused == {"code": rest_refusal["code"], "httpStatus": rest_refusal["status"]}
    assert refused == {"code": "idempotency_mismatch", "httpStatus": 409}
    assert offered.bookings() == 2


async def test_a_key_rest_used_first_replays_its_answer_over_graphql(offered: Offered) -> None:
    key = a_key()
    booked = await offered.rest(key, 1, 2)
    assert booked.status_code == 201, booked.text
    replayed = await offered.graphql(key, 1, 2)
    assert replayed["id"] == booked.json()["id"]
    assert UUID(replayed["spotId"]) == offered.spot
    assert await offered.graphql(key, 2, 3) == {"code": "idempotency_mismatch", "httpStatus": 409}
    assert offered.bookings() == 1


async def test_a_key_over_200_characters_is_refused_over_both(offered: Offered) -> None:
    long = "k" * 201
    over_rest = await offered.rest(long, 1, 2)
    assert over_rest.json()["code"] == "invalid_request"
    over_graphql = await offered.graphql(long, 1, 2)
    assert over_graphql == {"code": "invalid_request", "httpStatus": over_rest.status_code}
    assert offered.bookings() == 0


moments = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(9998, 12, 30), timezones=st.timezones()
)


@given(spot=st.uuids(), start=moments, end=moments)
def test_a_key_is_bound_to_the_body_as_the_previous_release_hashed_it(
    spot: UUID, start: datetime, end: datetime
) -> None:
    """Keys stored before the operations were shared still replay: the bound body is the REST
    body as pydantic writes it, whichever path sends it."""
    model = functions.module("reserve").ReserveBody
    text = json.dumps({"spot_id": str(spot), "start": start.isoformat(), "end": end.isoformat()})
    body = model.model_validate_json(text)
    previous = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    assert ops.request_hash(body.spot_id, body.start, body.end) == previous
    assert ops.request_hash(spot, start, end) == previous
