"""The recurring function over HTTP: every route and code of the contract's table, strict
bodies, privacy, the 20-pattern limit, bookings exactly where the occurrences are, the events,
the GraphQL operations beside it, and the worker's sweep making the days the horizon reaches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest

from parkshare.live import jobs
from tests.conftest import TestDb
from tests.functions.conftest import bearer, code_of
from tests.recurring_reference import today_in
from tests.support import Garage

Client = Callable[[str], httpx.AsyncClient]
PARIS = ZoneInfo("Europe/Paris")


class Building:
    """Olga owns a spot; Paul parks; Rita owns a spot of her own."""

    def __init__(self, garage: Garage, client: Client) -> None:
        self.g, self.client = garage, client
        self.olga, self.paul, self.rita = (garage.user(n) for n in ("Olga", "Paul", "Rita"))
        self.spot = garage.spot(self.olga)
        self.today = today_in(PARIS)

    def day(self, n: int) -> date:
        return self.today + timedelta(days=n)

    def at(self, n: int, hour: int, minute: int = 0) -> str:
        return datetime.combine(self.day(n), time(hour, minute), PARIS).isoformat()

    async def call(
        self, who: UUID, method: str = "POST", path: str = "/", body: Any = None, **kw: Any
    ) -> httpx.Response:
        function = kw.pop("function", "recurring")
        role = "admin" if who == self.g.admin_id else "resident"
        async with self.client(function) as http:
            return await http.request(
                method, path, json=body, headers=bearer(self.g, who, role), **kw
            )

    async def share(
        self, who: UUID | None = None, times: dict[str, str] | None = None, **body: Any
    ) -> httpx.Response:
        """POST / with this body: every day 08:00-18:00 on Olga's spot unless told."""
        every_day = {"spot_id": str(self.spot), "weekdays": [1, 2, 3, 4, 5, 6, 7]}
        body = every_day | {"from": "08:00", "until": "18:00"} | body | (times or {})
        return await self.call(who or self.olga, body=body)


@pytest.fixture
def b(api_garage: Garage, client: Client) -> Building:
    return Building(api_garage, client)


async def test_sharing_answers_the_pattern_and_offers_its_windows(b: Building) -> None:
    answer = await b.share(weekdays=[5, 1], every_weeks=2, ends_on=b.day(60).isoformat())
    assert answer.status_code == 201, answer.text
    pattern = answer.json()
    assert pattern == {
        "id": pattern["id"],
        "spot_id": str(b.spot),
        "weekdays": [1, 5],
        "from": "08:00",
        "until": "18:00",
        "every_weeks": 2,
        "starts_on": b.today.isoformat(),
        "ends_on": b.day(60).isoformat(),
        "paused": [],
        "status": "active",
    }
    assert b.g.windows(b.spot), "windows are made before the answer"
    assert b.g.outbox("availability.changed")


async def test_the_caller_lists_their_own_patterns_only(b: Building) -> None:
    first = (await b.share()).json()
    rita_spot = b.g.spot(b.rita)
    await b.share(b.rita, spot_id=str(rita_spot))
    mine = await b.call(b.olga, "GET")
    assert mine.status_code == 200
    assert [p["id"] for p in mine.json()["patterns"]] == [first["id"]]
    assert (await b.call(b.paul, "GET")).json() == {"patterns": []}


@pytest.mark.parametrize(
    "body",
    [
        {"weekdays": [0]},
        {"weekdays": [8]},
        {"weekdays": []},
        {"from": "25:00"},
        {"until": "8h"},
        {"every_weeks": 5},
        {"every_weeks": 0},
        {"starts_on": "2000-01-01"},
        {"ends_on": "2000-01-01"},
    ],
)
async def test_values_out_of_range_are_invalid_pattern(b: Building, body: dict[str, Any]) -> None:
    answer = await b.share(**body)
    assert answer.status_code == 422 and code_of(answer) == "invalid_pattern", answer.text


@pytest.mark.parametrize(
    "body",
    [
        {"colour": "blue"},
        {"from_": "08:00"},
        {"weekdays": "weekdays"},
        {"weekdays": [True]},
        {"every_weeks": "2"},
        {"starts_on": "tomorrow"},
    ],
)
async def test_unknown_fields_and_wrong_types_are_invalid_requests(
    b: Building, body: dict[str, Any]
) -> None:
    answer = await b.share(**body)
    assert answer.status_code == 422 and code_of(answer) == "invalid_request", answer.text


async def test_every_resident_reads_the_cards_summaries_and_no_one_the_patterns(
    b: Building,
) -> None:
    await b.share(weekdays=[1, 2, 3, 4, 5])
    for who in (b.paul, b.rita, b.olga):
        answer = await b.call(who, "GET", "/summaries")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"summaries": {str(b.spot): "Free weekdays 08:00\u201318:00"}}
    # Rita's own spot does not recur: absent. Paul sees no pattern of Olga's.
    assert (await b.call(b.paul, "GET")).json() == {"patterns": []}
    stopped = (await b.call(b.olga, "GET")).json()["patterns"][0]["id"]
    await b.call(b.olga, "POST", "/stop", {"pattern_id": stopped})
    assert (await b.call(b.paul, "GET", "/summaries")).json() == {"summaries": {}}


async def test_a_spot_not_yours_or_unknown_is_refused(b: Building) -> None:
    answer = await b.share(b.rita)
    assert answer.status_code == 403 and code_of(answer) == "not_owner"
    answer = await b.share(spot_id=str(uuid4()))
    assert answer.status_code == 404 and code_of(answer) == "spot_not_found"


async def test_twenty_active_patterns_per_spot(b: Building) -> None:
    for hour in range(20):
        times = {"from": f"{hour:02}:00", "until": f"{hour:02}:30"}
        answer = await b.share(weekdays=[1], times=times)
        assert answer.status_code == 201, answer.text
    answer = await b.share(weekdays=[2])
    assert answer.status_code == 422 and code_of(answer) == "invalid_pattern"
    assert "20" in answer.json()["detail"]


async def test_pause_withdraws_the_days_and_answers_the_pattern(b: Building) -> None:
    pattern = (await b.share()).json()
    body = {"pattern_id": pattern["id"], "start_date": b.day(2).isoformat()}
    body["end_date"] = b.day(4).isoformat()
    answer = await b.call(b.olga, path="/pause", body=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["paused"] == [
        {"start_date": body["start_date"], "end_date": body["end_date"]}
    ]
    paused_days = {b.day(n) for n in (2, 3, 4)}
    assert not [w for w in b.g.windows(b.spot) if w[0].astimezone(PARIS).date() in paused_days]
    withdrawn = [e for e in b.g.outbox("availability.changed") if not e["data"]["available"]]
    assert len(withdrawn) == 3


async def test_pause_and_stop_refuse_over_bookings_unless_they_cancel(b: Building) -> None:
    pattern = (await b.share()).json()
    booking = {"spot_id": str(b.spot), "start": b.at(3, 9), "end": b.at(3, 12)}
    async with b.client("reserve") as http:
        booked = await http.post("/", json=booking, headers=bearer(b.g, b.paul))
    assert booked.status_code == 201, booked.text
    day = b.day(3).isoformat()
    pause = {"pattern_id": pattern["id"], "start_date": day, "end_date": day}
    answer = await b.call(b.olga, path="/pause", body=pause)
    assert answer.status_code == 409 and code_of(answer) == "has_reservations"
    answer = await b.call(b.olga, path="/stop", body={"pattern_id": pattern["id"]})
    assert answer.status_code == 409 and code_of(answer) == "has_reservations"
    credits = b.g.balance(b.paul)
    answer = await b.call(b.olga, path="/pause", body=pause | {"cancel_reservations": True})
    assert answer.status_code == 200, answer.text
    assert b.g.reservation(booked.json()["id"])["status"] == "cancelled"
    assert b.g.balance(b.paul) == credits + booked.json()["cost"]
    cancelled = b.g.outbox("reservation.cancelled")
    assert [e["data"]["reservation"]["id"] for e in cancelled] == [booked.json()["id"]]


async def test_stop_answers_the_stopped_pattern_and_withdraws_its_future(b: Building) -> None:
    pattern = (await b.share(times={"from": "23:00", "until": "23:30"})).json()
    answer = await b.call(b.olga, path="/stop", body={"pattern_id": pattern["id"]})
    assert answer.status_code == 200 and answer.json()["status"] == "stopped", answer.text
    assert [w for w in b.g.windows(b.spot) if w[0] > datetime.now(UTC)] == []
    again = await b.call(b.olga, path="/stop", body={"pattern_id": pattern["id"]})
    assert again.status_code == 200 and again.json() == answer.json()
    # A stopped pattern takes no time off.
    day = b.day(1).isoformat()
    pause = {"pattern_id": pattern["id"], "start_date": day, "end_date": day}
    answer = await b.call(b.olga, path="/pause", body=pause)
    assert answer.status_code == 422 and code_of(answer) == "invalid_pattern"


async def test_another_residents_pattern_is_not_found(b: Building) -> None:
    pattern = (await b.share()).json()
    day = b.day(1).isoformat()
    for who in (b.paul, b.rita, b.g.admin_id):
        for path, body in (
            ("/pause", {"pattern_id": pattern["id"], "start_date": day, "end_date": day}),
            ("/stop", {"pattern_id": pattern["id"]}),
        ):
            answer = await b.call(who, path=path, body=body)
            assert answer.status_code == 404 and code_of(answer) == "pattern_not_found"
    answer = await b.call(b.olga, path="/stop", body={"pattern_id": str(uuid4())})
    assert answer.status_code == 404 and code_of(answer) == "pattern_not_found"
    assert (await b.call(b.olga, "GET")).json()["patterns"][0]["status"] == "active"


async def test_pause_dates_are_checked(b: Building) -> None:
    pattern = (await b.share()).json()
    for start, end in ((3, 2), (-5, -1)):
        body = {"pattern_id": pattern["id"], "start_date": b.day(start).isoformat()}
        answer = await b.call(
            b.olga, path="/pause", body=body | {"end_date": b.day(end).isoformat()}
        )
        assert answer.status_code == 422 and code_of(answer) == "invalid_pattern"
    answer = await b.call(b.olga, path="/pause", body={"pattern_id": pattern["id"], "days": 2})
    assert answer.status_code == 422 and code_of(answer) == "invalid_request"
    answer = await b.call(b.olga, path="/stop", body={"pattern_id": pattern["id"], "now": True})
    assert answer.status_code == 422 and code_of(answer) == "invalid_request"


async def test_bookable_exactly_where_the_occurrences_are(b: Building) -> None:
    assert (await b.share(weekdays=[b.day(2).isoweekday()])).status_code == 201

    async def reserve(start: str, end: str) -> httpx.Response:
        async with b.client("reserve") as http:
            body = {"spot_id": str(b.spot), "start": start, "end": end}
            return await http.post("/", json=body, headers=bearer(b.g, b.paul))

    inside = await reserve(b.at(2, 8), b.at(2, 18))
    assert inside.status_code == 201, inside.text
    for start, end in (
        (b.at(2, 7), b.at(2, 9)),
        (b.at(3, 8), b.at(3, 10)),
        (b.at(1, 12), b.at(1, 13)),
    ):
        outside = await reserve(start, end)
        assert outside.status_code == 409 and code_of(outside) == "spot_unavailable", (start, end)
    # And the garage lists the occurrence as the spot's window.
    async with b.client("list-spots") as http:
        listed = await http.get(
            "/", params={"start": b.at(2, 0), "end": b.at(3, 0)}, headers=bearer(b.g, b.paul)
        )
    (spot,) = [s for s in listed.json()["spots"] if s["id"] == str(b.spot)]
    assert [(w["start"], w["end"]) for w in spot["availability"]] == [
        (_utc(b.at(2, 8)), _utc(b.at(2, 18)))
    ]


def _utc(at: str) -> str:
    return datetime.fromisoformat(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_graphql_shares_pauses_stops_and_summarises(b: Building) -> None:
    async def gql(who: UUID, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        async with b.client("graphql") as http:
            answer = await http.post(
                "/", json={"query": query, "variables": variables}, headers=bearer(b.g, who)
            )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    fields = (
        "... on Pattern { id weekdays from until everyWeeks startsOn endsOn status"
        " paused { startDate endDate } } ... on Problem { code httpStatus: status }"
    )
    made = await gql(
        b.olga,
        f"mutation($i: CreatePatternInput!) {{ createPattern(input: $i) {{ {fields} }} }}",
        {
            "i": {
                "spotId": str(b.spot),
                "weekdays": [1, 2, 3, 4, 5],
                "from": "08:00",
                "until": "18:00",
            }
        },
    )
    pattern = made["createPattern"]
    assert pattern["from"] == "08:00" and pattern["status"] == "ACTIVE"
    refused = await gql(
        b.rita,
        f"mutation($i: CreatePatternInput!) {{ createPattern(input: $i) {{ {fields} }} }}",
        {"i": {"spotId": str(b.spot), "weekdays": [1], "from": "08:00", "until": "18:00"}},
    )
    assert refused["createPattern"] == {"code": "not_owner", "httpStatus": 403}
    day = b.day(1).isoformat()
    paused = await gql(
        b.olga,
        f"mutation($i: PausePatternInput!) {{ pausePattern(input: $i) {{ {fields} }} }}",
        {"i": {"patternId": pattern["id"], "startDate": day, "endDate": day}},
    )
    assert paused["pausePattern"]["paused"] == [{"startDate": day, "endDate": day}]
    seen = await gql(b.paul, "{ spots { id recurring } me { patterns { id } } }", {})
    (spot,) = [s for s in seen["spots"] if s["id"] == str(b.spot)]
    assert spot["recurring"] == "Free weekdays 08:00\u201318:00"
    assert seen["me"]["patterns"] == []
    mine = await gql(b.olga, "{ me { patterns { id } spots { recurring } } }", {})
    assert mine["me"]["patterns"] == [{"id": pattern["id"]}]
    stopped = await gql(
        b.paul,
        f"mutation($i: StopPatternInput!) {{ stopPattern(input: $i) {{ {fields} }} }}",
        {"i": {"patternId": pattern["id"]}},
    )
    assert stopped["stopPattern"] == {"code": "pattern_not_found", "httpStatus": 404}
    stopped = await gql(
        b.olga,
        f"mutation($i: StopPatternInput!) {{ stopPattern(input: $i) {{ {fields} }} }}",
        {"i": {"patternId": pattern["id"]}},
    )
    assert stopped["stopPattern"]["status"] == "STOPPED"
    after = await gql(b.paul, "{ spots { id recurring } }", {})
    assert [s["recurring"] for s in after["spots"] if s["id"] == str(b.spot)] == [None]


async def test_the_sweep_makes_the_days_the_horizon_reaches_once(
    b: Building, api_database: TestDb
) -> None:
    pattern = (await b.share()).json()
    before = b.g.windows(b.spot)
    async with b.client("admin") as http:
        grown = await http.patch(
            "/policy", json={"horizon_days": 37}, headers=bearer(b.g, b.g.admin_id, "admin")
        )
    assert grown.status_code == 200, grown.text
    swept = await jobs._sweep()
    assert swept["materialised"] >= 7
    windows = b.g.windows(b.spot)
    assert len(windows) == len(before) + 7
    last = datetime.combine(b.day(37), time(18), PARIS)
    assert windows[-1][1] == last
    await jobs._sweep()
    assert b.g.windows(b.spot) == windows
    assert [e for e in b.g.outbox() if e["published_at"] is None] == []
    assert pattern["status"] == "active"
