"""GraphQL mutations and the REST functions are one implementation (parkshare.ops): the same
scenario through each, in two buildings, gives the same answers (codes included, ids aside),
the same events and the same balances."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from parkshare.live import events
from tests.conftest import TestDb, published
from tests.functions.conftest import bearer, from_address
from tests.graphql.conftest import data, gql
from tests.support import HOUR, Garage, next_hour

# (caller, operation, arguments) -> (outcome: "ok" or a code, the answer as REST has it)
Do = Callable[[UUID, str, dict[str, Any]], Awaitable[tuple[str, dict[str, Any] | None]]]


def rest(garage: Garage) -> Do:
    routes = {
        "add_spot": "add-spot",
        "set_availability": "set-availability",
        "reserve": "reserve",
        "cancel": "cancel",
    }

    async def do(
        user: UUID, operation: str, args: dict[str, Any]
    ) -> tuple[str, dict[str, Any] | None]:
        async with from_address(routes[operation]) as http:
            answer = await http.post("/", json=args, headers=bearer(garage, user))
        body = answer.json()
        if answer.is_success:
            return "ok", body
        return str(body["code"]), None

    return do


# Each answer with every member REST's answer has.
RESERVATION = "... on Reservation { id spotId userId start end status cost checkedInAt }"
MUTATIONS = {
    "add_spot": "mutation($i: AddSpotInput!) { r: addSpot(input: $i) {"
    " ... on Spot { id label location notes owner { id displayName } }"
    " ... on Problem { code } } }",
    "set_availability": "mutation($i: SetAvailabilityInput!) { r: setAvailability(input: $i) {"
    " ... on AvailabilityResult { spotId availability { start end } } ... on Problem { code } } }",
    "reserve": "mutation($i: ReserveInput!) { r: reserve(input: $i) {"
    f" {RESERVATION} ... on Problem {{ code }} }} }}",
    "cancel": "mutation($id: ID!) { r: cancel(reservationId: $id) {"
    f" {RESERVATION} ... on Problem {{ code }} }} }}",
}

CAMEL = {"spot_id": "spotId", "cancel_reservations": "cancelReservations"}


def _as_rest(value: Any) -> Any:
    """A GraphQL answer with REST's names (snake_case) and enum values (lower case)."""
    if isinstance(value, list):
        return [_as_rest(v) for v in value]
    if not isinstance(value, dict):
        return value
    named = {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): _as_rest(v) for k, v in value.items()}
    if isinstance(named.get("status"), str):
        named["status"] = named["status"].lower()
    return named


def graphql(garage: Garage) -> Do:
    async def do(
        user: UUID, operation: str, args: dict[str, Any]
    ) -> tuple[str, dict[str, Any] | None]:
        if operation == "cancel":
            variables: dict[str, Any] = {"id": args["reservation_id"]}
        else:
            variables = {"i": {CAMEL.get(k, k): v for k, v in args.items()}}
        answer = await gql(MUTATIONS[operation], bearer(garage, user), variables)
        result = data(answer)["r"]
        if "code" in result:
            return str(result["code"]), None
        return "ok", _as_rest(result)

    return do


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _ids_by_order(value: Any, seen: dict[str, str]) -> Any:
    """`value` with each id replaced by the order it was first seen in: two buildings' runs
    of one scenario make different ids, in the same order."""
    if isinstance(value, list):
        return [_ids_by_order(v, seen) for v in value]
    if isinstance(value, dict):
        return {k: _ids_by_order(v, seen) for k, v in value.items()}
    if isinstance(value, str) and _UUID.fullmatch(value):
        return seen.setdefault(value, f"id#{len(seen)}")
    return value


class Run:
    """What a scenario did: each step's outcome and answer, the events, the balances."""

    def __init__(self) -> None:
        self.outcomes: list[str] = []
        self.answers: list[dict[str, Any] | None] = []
        self.events: list[str] = []
        self.balances: dict[str, int] = {}


async def scenario(garage: Garage, do: Do, start: datetime) -> Run:
    """Owner shares a spot; two parkers book, collide, cancel; the owner withdraws part of the
    window, cancelling a booking; one booking is left standing."""
    owner, ana, ben = garage.user("Olga"), garage.user("Ana"), garage.user("Ben")

    def at(hours: int) -> str:
        return (start + hours * HOUR).isoformat()

    run = Run()

    async def step(user: UUID, operation: str, args: dict[str, Any]) -> str | None:
        outcome, answer = await do(user, operation, args)
        run.outcomes.append(f"{operation}:{outcome}")
        run.answers.append(answer)
        return None if answer is None else answer.get("id")

    spot = await step(owner, "add_spot", {"label": "B2-17", "location": "Level 2", "notes": "EV"})
    await step(owner, "add_spot", {"label": "b2-17"})  # label_taken, whatever the case
    assert spot is not None
    window = {"spot_id": spot, "start": at(0), "end": at(10), "available": True}
    await step(owner, "set_availability", window)
    first = await step(ana, "reserve", {"spot_id": spot, "start": at(1), "end": at(2)})
    await step(ben, "reserve", {"spot_id": spot, "start": at(1), "end": at(3)})  # spot_taken
    await step(owner, "reserve", {"spot_id": spot, "start": at(4), "end": at(5)})  # own_spot
    await step(ben, "reserve", {"spot_id": spot, "start": at(4), "end": at(5)})
    await step(ana, "reserve", {"spot_id": spot, "start": at(9), "end": at(11)})  # unavailable
    assert first is not None
    await step(ben, "cancel", {"reservation_id": first})  # not_yours
    await step(ana, "cancel", {"reservation_id": first})
    withdraw = {"spot_id": spot, "start": at(4), "end": at(6), "available": False}
    await step(owner, "set_availability", withdraw)  # has_reservations
    await step(owner, "set_availability", {**withdraw, "cancel_reservations": True})
    await step(ana, "reserve", {"spot_id": spot, "start": at(7), "end": at(8)})
    run.events = [e["type"] for e in garage.outbox()]
    run.balances = {
        name: garage.balance(user) for name, user in (("owner", owner), ("ana", ana), ("ben", ben))
    }
    return run


async def test_rest_and_graphql_agree(api_garage: Garage, api_database: TestDb) -> None:
    other = Garage.create(api_database)
    start = next_hour(2)
    try:
        through_rest = await scenario(api_garage, rest(api_garage), start)
        through_graphql = await scenario(other, graphql(other), start)
    finally:
        other.close()
    assert through_rest.outcomes == through_graphql.outcomes
    assert _ids_by_order(through_rest.answers, {}) == _ids_by_order(through_graphql.answers, {})
    assert through_rest.events == through_graphql.events
    assert through_rest.balances == through_graphql.balances
    assert through_graphql.outcomes == [
        "add_spot:ok",
        "add_spot:label_taken",
        "set_availability:ok",
        "reserve:ok",
        "reserve:spot_taken",
        "reserve:own_spot",
        "reserve:ok",
        "reserve:spot_unavailable",
        "cancel:not_yours",
        "cancel:ok",
        "set_availability:has_reservations",
        "set_availability:ok",
        "reserve:ok",
    ]
    # Every booking but Ana's last was refunded; hers is held in escrow until it settles.
    assert through_graphql.balances == {"owner": 50, "ana": 47, "ben": 50}


async def test_a_graphql_write_publishes_its_events(
    api_garage: Garage, publisher: events.Publisher
) -> None:
    g = api_garage
    owner = g.user("Olga")
    made = data(await gql(MUTATIONS["add_spot"], bearer(g, owner), {"i": {"label": "P-1"}}))["r"]
    # Through the outbox, as REST's: the publisher gives the row its stream id.
    await published(g)
    [event] = [e for e in g.outbox("spot.updated") if e["data"]["spot"]["id"] == made["id"]]
    assert event["published_at"] is not None and event["stream_id"]


async def test_a_mutation_without_a_token_is_a_401(api_garage: Garage) -> None:
    answer = await gql(MUTATIONS["cancel"], {}, {"id": "x"})
    assert answer.status_code == 401
