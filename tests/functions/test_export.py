"""The admin's CSV exports over HTTP through the admin function's real entry point: what each
kind lists, the window's edges, who may ask, what is refused, quoting, and that the file is
sent in chunks as it is read."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from parkshare import exports, functions
from parkshare.store import db
from tests.conftest import TestDb
from tests.functions.conftest import bearer, code_of, from_address
from tests.sql.test_local_time import PARIS, SPRING, local
from tests.support import HOUR, Garage, next_hour

RESERVATION_COLUMNS = [
    "id",
    "spot_id",
    "spot",
    "parker_id",
    "parker",
    "start",
    "end",
    "status",
    "cost",
    "created_at",
    "checked_in_at",
    "cancelled_at",
]
LEDGER_COLUMNS = [
    "id",
    "created_at",
    "kind",
    "amount",
    "from_account",
    "from_user_id",
    "from_user",
    "to_account",
    "to_user_id",
    "to_user",
    "reservation_id",
    "reason",
]
UTILIZATION_COLUMNS = [
    "date",
    "timezone",
    "spot_id",
    "spot",
    "offered_hours",
    "booked_hours",
    "bookings",
]


def z(at: datetime) -> str:
    """An instant as the export writes it: RFC 3339 in UTC."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def export(garage: Garage, kind: str, start: datetime, end: datetime) -> httpx.Response:
    return await get(garage, {"kind": kind, "start": start.isoformat(), "end": end.isoformat()})


async def get(
    garage: Garage, params: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    async with from_address("admin") as http:
        return await http.get(
            "/export", params=params, headers=headers or bearer(garage, garage.admin_id, "admin")
        )


def table(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    # RFC 4180: every record ends with CRLF, the last one included.
    assert answer.content.endswith(b"\r\n")
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8"), newline="")))


def header(answer: httpx.Response) -> list[str]:
    return next(csv.reader(io.StringIO(answer.text, newline="")))


def ledger_times(database: TestDb, garage: Garage) -> list[tuple[int, datetime]]:
    with psycopg.connect(database.admin_url, row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT id, created_at FROM parkshare.ledger_entries WHERE building_id = %s"
            " ORDER BY id",
            (garage.building_id,),
        ).fetchall()
    return [(r["id"], r["created_at"]) for r in rows]


# --- reservations ------------------------------------------------------------------------


async def test_reservations_are_those_whose_window_overlaps_start_to_end(
    api_garage: Garage,
) -> None:
    """[start, end) is half-open: a booking ending at start or beginning at end is outside,
    one beginning at start is inside, and a cancelled one is listed with its status."""
    owner, parker = api_garage.user("Owen"), api_garage.user("Pat")
    spot = api_garage.spot(owner, "E-1")
    t0 = next_hour()
    api_garage.offer(owner, spot, t0, t0 + 8 * HOUR)
    before = api_garage.reserve(parker, spot, t0, t0 + HOUR)
    at_start = api_garage.reserve(parker, spot, t0 + HOUR, t0 + 2 * HOUR)
    across_end = api_garage.reserve(parker, spot, t0 + 4 * HOUR, t0 + 6 * HOUR)
    cancelled = api_garage.reserve(parker, spot, t0 + 2 * HOUR, t0 + 3 * HOUR)
    api_garage.cancel(parker, cancelled["id"])
    after = api_garage.reserve(parker, spot, t0 + 6 * HOUR, t0 + 7 * HOUR)

    answer = await export(api_garage, "reservations", t0 + HOUR, t0 + 6 * HOUR)

    assert header(answer) == RESERVATION_COLUMNS
    rows = table(answer)
    assert [r["id"] for r in rows] == [
        str(at_start["id"]),
        str(cancelled["id"]),
        str(across_end["id"]),
    ]
    assert str(before["id"]) not in answer.text and str(after["id"]) not in answer.text
    first = rows[0]
    assert first["spot_id"] == str(spot) and first["spot"] == "E-1"
    assert (first["parker_id"], first["parker"]) == (str(parker), "Pat")
    assert (first["start"], first["end"]) == (z(t0 + HOUR), z(t0 + 2 * HOUR))
    assert first["status"] == "booked" and first["cost"] == str(at_start["cost"])
    assert first["created_at"].endswith("Z") and first["checked_in_at"] == ""
    assert first["cancelled_at"] == ""
    assert rows[1]["status"] == "cancelled" and rows[1]["cancelled_at"].endswith("Z")


async def test_another_buildings_reservations_are_not_exported(
    api_database: TestDb, api_garage: Garage
) -> None:
    other = Garage.create(api_database)
    try:
        owner, parker = other.user("Olga"), other.user("Paul")
        spot = other.spot(owner, "X-1")
        t0 = next_hour()
        other.offer(owner, spot, t0, t0 + 2 * HOUR)
        other.reserve(parker, spot, t0, t0 + HOUR)
        answer = await export(api_garage, "reservations", t0 - HOUR, t0 + 3 * HOUR)
        assert table(answer) == []
        assert header(answer) == RESERVATION_COLUMNS
    finally:
        other.close()


async def test_a_quote_and_a_comma_in_a_spot_label_survive_the_round_trip(
    api_garage: Garage,
) -> None:
    owner, parker = api_garage.user("Owen"), api_garage.user("Pat")
    label = 'B "2", west'
    spot = api_garage.spot(owner, label)
    t0 = next_hour()
    api_garage.offer(owner, spot, t0, t0 + HOUR)
    api_garage.reserve(parker, spot, t0, t0 + HOUR)
    answer = await export(api_garage, "reservations", t0, t0 + HOUR)
    (row,) = table(answer)
    assert row["spot"] == label
    # Quoted as RFC 4180 has it: the field in quotes, each quote doubled.
    assert b'"B ""2"", west"' in answer.content


# --- ledger ------------------------------------------------------------------------------


async def test_ledger_entries_are_those_made_in_the_window(
    api_database: TestDb, api_garage: Garage
) -> None:
    owner, parker = api_garage.user("Owen"), api_garage.user("Pat")
    spot = api_garage.spot(owner, "L-1")
    t0 = next_hour()
    api_garage.offer(owner, spot, t0, t0 + HOUR)
    api_garage.grant(parker, 5, "welcome")
    booked = api_garage.reserve(parker, spot, t0, t0 + HOUR)
    entries = ledger_times(api_database, api_garage)
    assert len(entries) >= 2
    (first_id, first_at), (last_id, last_at) = entries[0], entries[-1]

    every = table(await export(api_garage, "ledger", first_at, last_at + timedelta(seconds=1)))
    assert [int(r["id"]) for r in every] == [i for i, _ in entries]
    # From the first entry's instant on (inclusive), up to the last one's (exclusive).
    without_last = table(await export(api_garage, "ledger", first_at, last_at))
    assert last_id not in [int(r["id"]) for r in without_last]
    assert first_id in [int(r["id"]) for r in without_last] or first_at == last_at
    later = table(await export(api_garage, "ledger", last_at + timedelta(seconds=1), t0))
    assert later == []

    grant = next(r for r in every if r["reason"] == "welcome")
    assert (grant["amount"], grant["reason"], grant["to_user"]) == ("5", "welcome", "Pat")
    assert (grant["from_account"], grant["from_user_id"], grant["to_account"]) == (
        "issuance",
        "",
        "user",
    )
    assert grant["reservation_id"] == "" and grant["created_at"].endswith("Z")
    hold = next(r for r in every if r["kind"] == "hold")
    assert hold["reservation_id"] == str(booked["id"])
    assert (hold["from_user_id"], hold["to_account"]) == (str(parker), "escrow")
    assert hold["amount"] == str(booked["cost"])


async def test_a_reason_with_a_newline_quotes_and_commas_survives_the_round_trip(
    api_database: TestDb, api_garage: Garage
) -> None:
    parker = api_garage.user("Pat")
    reason = 'refund for "the gate", broken\nsecond line'
    api_garage.grant(parker, 3, reason)
    (_, at), *_ = ledger_times(api_database, api_garage)[-1:]
    rows = table(await export(api_garage, "ledger", at - HOUR, at + HOUR))
    assert [r["reason"] for r in rows if r["to_user_id"] == str(parker)][-1] == reason


# --- utilization -------------------------------------------------------------------------


async def test_utilization_is_hours_offered_and_booked_per_local_day_and_spot(
    api_garage: Garage,
) -> None:
    owner, parker = api_garage.user("Owen"), api_garage.user("Pat")
    spot, idle = api_garage.spot(owner, "U-1"), api_garage.spot(owner, "U-2")
    day = datetime.now(PARIS).date() + timedelta(days=2)
    api_garage.offer(owner, spot, local(day, clock(8)), local(day, clock(18)))
    api_garage.reserve(parker, spot, local(day, clock(9)), local(day, clock(11)))
    api_garage.reserve(parker, spot, local(day, clock(14)), local(day, clock(15)))
    start = local(day, clock(0))
    answer = await export(api_garage, "utilization", start, start + timedelta(days=2))

    assert header(answer) == UTILIZATION_COLUMNS
    got = [
        (r["date"], r["timezone"], r["spot"], r["offered_hours"], r["booked_hours"], r["bookings"])
        for r in table(answer)
    ]
    next_day = (day + timedelta(days=1)).isoformat()
    assert got == [
        (day.isoformat(), "Europe/Paris", "U-1", "10.00", "3.00", "2"),
        (day.isoformat(), "Europe/Paris", "U-2", "0.00", "0.00", "0"),
        (next_day, "Europe/Paris", "U-1", "0.00", "0.00", "0"),
        (next_day, "Europe/Paris", "U-2", "0.00", "0.00", "0"),
    ]
    assert {r["spot_id"] for r in table(answer)} == {str(spot), str(idle)}


async def test_utilization_days_are_the_buildings_across_a_clock_change(
    api_database: TestDb,
) -> None:
    """The short spring day of Europe/Paris has 23 hours: a spot offered from noon the day
    before to noon the day after shows 12, 23 and 12 offered hours, and a booking from 23:00
    to 02:00 local time counts on both days it touches."""
    garage = Garage.create(api_database, horizon_days=400)
    try:
        owner, parker = garage.user("Owen"), garage.user("Pat")
        spot = garage.spot(owner, "D-1")
        day_before, day_after = SPRING - timedelta(days=1), SPRING + timedelta(days=1)
        garage.offer(owner, spot, local(day_before, clock(12)), local(day_after, clock(12)))
        garage.reserve(parker, spot, local(day_before, clock(23)), local(SPRING, clock(4)))
        start = local(day_before, clock(0))
        answer = await export(garage, "utilization", start, local(day_after, clock(0)) + 24 * HOUR)
        assert [
            (r["date"], r["offered_hours"], r["booked_hours"], r["bookings"]) for r in table(answer)
        ] == [
            (day_before.isoformat(), "12.00", "1.00", "1"),
            # 00:00 to 04:00 local is three hours on the day the clocks skip 02:00 to 03:00.
            (SPRING.isoformat(), "23.00", "3.00", "1"),
            (day_after.isoformat(), "12.00", "0.00", "0"),
        ]
    finally:
        garage.close()


async def test_utilization_counts_only_the_part_of_a_day_inside_the_window(
    api_garage: Garage,
) -> None:
    owner = api_garage.user("Owen")
    spot = api_garage.spot(owner, "P-1")
    day = datetime.now(PARIS).date() + timedelta(days=2)
    api_garage.offer(owner, spot, local(day, clock(8)), local(day, clock(18)))
    answer = await export(api_garage, "utilization", local(day, clock(12)), local(day, clock(20)))
    assert [(r["date"], r["offered_hours"]) for r in table(answer)] == [(day.isoformat(), "6.00")]


# --- the window, the caller, the request -------------------------------------------------


@pytest.mark.parametrize("kind", ["reservations", "ledger", "utilization"])
async def test_366_days_are_allowed_and_367_refused(api_garage: Garage, kind: str) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    allowed = await export(api_garage, kind, start, start + timedelta(days=366))
    assert allowed.status_code == 200, allowed.text
    refused = await export(api_garage, kind, start, start + timedelta(days=367))
    assert (refused.status_code, code_of(refused)) == (422, "invalid_window")
    just_over = await export(api_garage, kind, start, start + timedelta(days=366, seconds=1))
    assert (just_over.status_code, code_of(just_over)) == (422, "invalid_window")


async def test_a_resident_gets_the_admin_routes_forbidden(api_garage: Garage) -> None:
    rita = api_garage.user("Rita")
    params = {"kind": "ledger", "start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"}
    answer = await get(api_garage, params, bearer(api_garage, rita))
    assert (answer.status_code, code_of(answer)) == (403, "forbidden")
    async with from_address("admin") as http:
        residents = await http.get("/residents", headers=bearer(api_garage, rita))
    assert code_of(residents) == code_of(answer)


async def test_nobody_without_a_token_gets_an_export(api_garage: Garage) -> None:
    params = {"kind": "ledger", "start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"}
    async with from_address("admin") as http:
        answer = await http.get("/export", params=params)
    assert (answer.status_code, code_of(answer)) == (401, "unauthenticated")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        (
            {"kind": "spots", "start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"},
            "invalid_request",
        ),
        ({"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"}, "invalid_request"),
        ({"kind": "ledger", "end": "2026-01-02T00:00:00Z"}, "invalid_window"),
        ({"kind": "ledger", "start": "2026-01-01T00:00:00Z"}, "invalid_window"),
        ({"kind": "ledger", "start": "yesterday", "end": "2026-01-02T00:00:00Z"}, "invalid_window"),
        (
            {"kind": "ledger", "start": "2026-01-01T00:00:00", "end": "2026-01-02T00:00:00Z"},
            "invalid_window",
        ),
        (
            {"kind": "ledger", "start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
            "invalid_window",
        ),
        (
            {"kind": "ledger", "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
            "invalid_window",
        ),
        (
            {"kind": "ledger", "start": "1999-12-31T00:00:00Z", "end": "2000-01-02T00:00:00Z"},
            "invalid_window",
        ),
    ],
    ids=[
        "bad kind",
        "no kind",
        "no start",
        "no end",
        "malformed start",
        "no offset",
        "backwards",
        "empty",
        "before 2000",
    ],
)
async def test_a_bad_request_is_a_problem_with_its_code(
    api_garage: Garage, params: dict[str, str], code: str
) -> None:
    answer = await get(api_garage, params)
    assert (answer.status_code, code_of(answer)) == (422, code)


async def test_the_file_is_an_attachment_named_for_its_kind_and_dates(api_garage: Garage) -> None:
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    answer = await export(api_garage, "reservations", start, end)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == (
        'attachment; filename="parkshare-reservations-2026-01-01-2026-12-31.csv"'
    )
    assert answer.headers["cache-control"] == "no-store"


async def test_the_files_dates_are_those_of_the_offsets_the_request_gave(
    api_garage: Garage,
) -> None:
    params = {"kind": "ledger", "start": "2026-01-01T00:00:00+01:00"}
    answer = await get(api_garage, params | {"end": "2026-02-01T00:00:00+01:00"})
    assert answer.headers["content-disposition"] == (
        'attachment; filename="parkshare-ledger-2026-01-01-2026-01-31.csv"'
    )


async def test_the_export_reads_one_read_only_repeatable_read_snapshot(
    api_garage: Garage,
) -> None:
    # As in a request: the transaction carries the admin's session.
    acting = db.acting_session.set(api_garage.session(api_garage.admin_id))
    try:
        async with db.snapshot(api_garage.building_id, api_garage.admin_id) as conn:
            isolation = await (await conn.execute("SHOW transaction_isolation")).fetchone()
            read_only = await (await conn.execute("SHOW transaction_read_only")).fetchone()
    finally:
        db.acting_session.reset(acting)
    assert isolation == {"transaction_isolation": "repeatable read"}
    assert read_only == {"transaction_read_only": "on"}


# --- streaming ---------------------------------------------------------------------------


async def asgi_get(
    garage: Garage, params: dict[str, str], *, stop_after: int | None = None
) -> tuple[int, dict[str, str], list[bytes]]:
    """GET /export on the admin function's ASGI app itself, every body message kept as its
    own chunk (httpx's ASGI transport joins them into one); `stop_after` chunks, the client
    disconnects."""
    app = functions.load("admin")
    token = bearer(garage, garage.admin_id, "admin")["Authorization"]
    query = str(httpx.QueryParams(params)).encode()
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/export",
        "raw_path": b"/export",
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"admin.test"), (b"authorization", token.encode())],
        "client": ("127.0.0.1", 40000),
        "server": ("admin.test", 80),
    }
    status, headers, chunks = 0, dict[str, str](), list[bytes]()
    asked, gone = asyncio.Event(), asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not asked.is_set():
            asked.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body" and message.get("body"):
            chunks.append(message["body"])
            if stop_after is not None and len(chunks) >= stop_after:
                gone.set()
                await asyncio.sleep(0)

    await app(scope, receive, send)
    return status, headers, chunks


async def test_a_long_export_is_sent_in_several_chunks_as_it_is_read(api_garage: Garage) -> None:
    owner = api_garage.user("Owen")
    for n in range(3):
        api_garage.spot(owner, f"C-{n}")
    # 366 local days of Europe/Paris (its clock changes cancel out over the year).
    start = datetime(2026, 1, 1, tzinfo=PARIS)
    params = {
        "kind": "utilization",
        "start": start.isoformat(),
        "end": (start + timedelta(days=366)).isoformat(),
    }
    status, headers, chunks = await asgi_get(api_garage, params)
    assert status == 200 and headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode(), newline="")))
    assert rows[0] == UTILIZATION_COLUMNS and len(rows) == 1 + 3 * 366
    # A chunk per CHUNK_ROWS rows fetched from the cursor, each ending on a whole record.
    assert len(chunks) == -(-(3 * 366) // exports.CHUNK_ROWS) >= 2
    assert all(chunk.endswith(b"\r\n") for chunk in chunks)


async def test_a_client_gone_mid_file_ends_its_transaction(
    api_database: TestDb, api_garage: Garage
) -> None:
    owner = api_garage.user("Owen")
    for n in range(3):
        api_garage.spot(owner, f"G-{n}")
    # 366 local days of Europe/Paris (its clock changes cancel out over the year).
    start = datetime(2026, 1, 1, tzinfo=PARIS)
    params = {
        "kind": "utilization",
        "start": start.isoformat(),
        "end": (start + timedelta(days=366)).isoformat(),
    }
    status, _, chunks = await asgi_get(api_garage, params, stop_after=1)
    assert status == 200 and len(chunks) < -(-(3 * 366) // exports.CHUNK_ROWS)
    with psycopg.connect(api_database.admin_url) as conn:
        open_exports = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state LIKE 'idle in transaction%%' AND query LIKE '%%\"export\"%%'"
        ).fetchone()
    assert open_exports == (0,)
