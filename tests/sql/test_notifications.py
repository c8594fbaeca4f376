"""In-app notifications in PostgreSQL: each cause writes its notifications once, in its own
transaction (nothing for a refusal or a rollback), each announced to its user alone; a
resident reads only their own; pages, the unread count, marking read; preferences merged and
refused by the procedures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg.types.json import Jsonb

from parkshare.problems import Problem
from parkshare.store.db import admin_connect, set_context
from tests.conftest import TestDb
from tests.support import HOUR, Garage, next_hour, problem_code

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def g(api_database: TestDb) -> Iterator[Garage]:
    built = Garage.create(api_database, timezone="Europe/Paris")
    yield built
    built.close()


def notes(garage: Garage, user: UUID | None = None) -> list[dict[str, Any]]:
    """The building's notifications (every user's, or one's), oldest first, as the superuser."""
    with admin_connect(garage.db.admin_url) as admin:
        rows = admin.execute(
            "SELECT * FROM parkshare.notifications WHERE building_id = %s"
            " AND (%s::uuid IS NULL OR user_id = %s) ORDER BY id",
            (garage.building_id, user, user),
        ).fetchall()
    return [dict(r) for r in rows]


def kinds(garage: Garage) -> list[tuple[str, UUID]]:
    return [(n["kind"], n["user_id"]) for n in notes(garage)]


def booked(garage: Garage) -> tuple[UUID, UUID, UUID, dict[str, Any]]:
    """Olga's spot P7 offered and booked by Paul tomorrow-ish: (olga, paul, spot, booking)."""
    olga, paul = garage.user("Olga"), garage.user("Paul")
    spot = garage.spot(olga, "P7")
    start = next_hour(24)
    garage.offer(olga, spot, start, start + 4 * HOUR)
    res = garage.reserve(paul, spot, start + HOUR, start + 3 * HOUR)
    return olga, paul, spot, dict(res)


def mine(garage: Garage, user: UUID, before: int | None = None, limit: int | None = None) -> Any:
    row = garage.one(user, "SELECT parkshare.my_notifications(%s, %s) AS n", (before, limit))
    return row["n"]


# --- each cause, once, in its transaction ---------------------------------------------


def test_a_booking_tells_the_parker_and_the_owner_once(g: Garage) -> None:
    olga, paul, spot, res = booked(g)
    assert kinds(g) == [("booking.confirmed", paul), ("spot.booked", olga)]
    confirmed = notes(g, paul)[0]
    assert confirmed["title"] == "Booking confirmed"
    assert confirmed["body"].startswith("Spot P7, ")
    assert confirmed["data"] == {
        "reservation_id": str(res["id"]),
        "spot_id": str(spot),
        "spot_label": "P7",
        "start": confirmed["data"]["start"],
        "end": confirmed["data"]["end"],
        "amount": res["cost"],
    }
    assert confirmed["read_at"] is None


def test_the_text_shows_the_window_on_the_buildings_clock(g: Garage) -> None:
    _, paul, _, res = booked(g)
    start = res["period"].lower.astimezone(PARIS)
    end = res["period"].upper.astimezone(PARIS)
    since = f"{start:%a} {start.day} {start:%b} {start:%H:%M}"
    # The end's day only when it is another (the window may cross midnight in Paris).
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%a} {end.day} {end:%b %H:%M}"
    # An en dash between the two, as a reader expects in a range.
    assert notes(g, paul)[0]["body"] == f"Spot P7, {since}\u2013{until}."


def test_each_notification_is_announced_to_its_user_alone(g: Garage) -> None:
    olga, paul, _, _ = booked(g)
    events = g.outbox("notification.created")
    assert [(e["user_id"], e["data"]["notification"]["kind"]) for e in events] == [
        (paul, "booking.confirmed"),
        (olga, "spot.booked"),
    ]
    # The notification as the list answers it, and nothing that grows with the unread ones.
    assert events[0]["data"] == {"notification": mine(g, paul)["notifications"][0]}
    assert events[0]["data"]["notification"]["read"] is False


def test_a_refused_booking_tells_nobody(g: Garage) -> None:
    olga, paul = g.user("Olga"), g.user("Paul")
    spot = g.spot(olga)
    start = next_hour(24)
    with pytest.raises(Problem) as refused:
        g.reserve(paul, spot, start, start + HOUR)  # never offered
    assert problem_code(refused.value) == "spot_unavailable"
    assert notes(g) == []
    assert g.outbox("notification.created") == []


def test_a_rolled_back_booking_leaves_no_notification(g: Garage) -> None:
    olga, paul = g.user("Olga"), g.user("Paul")
    spot = g.spot(olga)
    start = next_hour(24)
    g.offer(olga, spot, start, start + 2 * HOUR)
    session = g.session(paul)
    with pytest.raises(RuntimeError), g.conn.transaction():
        set_context(g.conn, g.building_id, paul, session)
        g.conn.execute("SELECT * FROM parkshare.reserve(%s, %s, %s)", (spot, start, start + HOUR))
        raise RuntimeError("the caller gives up before the commit")
    assert notes(g) == []
    assert g.outbox("notification.created") == []


@pytest.mark.parametrize("who", ["parker", "owner"])
def test_a_cancellation_tells_both_who_cancelled(g: Garage, who: str) -> None:
    olga, paul, _, res = booked(g)
    g.cancel(paul if who == "parker" else olga, res["id"])
    cancelled = [n for n in notes(g) if n["kind"] == "booking.cancelled"]
    assert [n["user_id"] for n in cancelled] == [paul, olga]
    assert {n["data"]["by"] for n in cancelled} == {who}
    assert cancelled[0]["body"].endswith(f"cancelled by the {who}.")


def test_cancelling_twice_tells_nobody_twice(g: Garage) -> None:
    _, paul, _, res = booked(g)
    g.cancel(paul, res["id"])
    g.cancel(paul, res["id"])
    assert [k for k, _ in kinds(g)].count("booking.cancelled") == 2


def test_an_owner_withdrawing_with_cancellation_tells_both(g: Garage) -> None:
    olga, paul, spot, res = booked(g)
    g.withdraw(olga, spot, res["period"].lower, res["period"].upper, cancel=True)
    cancelled = [n for n in notes(g) if n["kind"] == "booking.cancelled"]
    assert [(n["user_id"], n["data"]["by"]) for n in cancelled] == [
        (paul, "owner"),
        (olga, "owner"),
    ]


def test_an_admin_disabling_the_parker_tells_both_it_was_an_admin(g: Garage) -> None:
    olga, paul, _, _ = booked(g)
    g.one(g.admin_id, "SELECT parkshare.disable_user(%s)", (paul,))
    cancelled = [n for n in notes(g) if n["kind"] == "booking.cancelled"]
    assert [(n["user_id"], n["data"]["by"]) for n in cancelled] == [
        (paul, "admin"),
        (olga, "admin"),
    ]
    assert cancelled[0]["body"].endswith("cancelled by an admin.")


def test_settlement_tells_the_owner_what_they_earned_once(g: Garage) -> None:
    olga, _, _, res = booked(g)
    g.travel(timedelta(days=2))
    assert g.settle() == 1
    assert g.settle() == 0
    earned = [n for n in notes(g) if n["kind"] == "credits.earned"]
    assert [n["user_id"] for n in earned] == [olga]
    assert earned[0]["data"]["amount"] == res["cost"] > 0
    assert earned[0]["title"] == f"{res['cost']} credits earned"


def test_the_same_cause_twice_is_written_once(g: Garage) -> None:
    _, paul, _, res = booked(g)
    with admin_connect(g.db.admin_url) as admin:
        admin.execute(
            "SELECT parkshare.ps_notify(%s, 'booking.confirmed', 'again', 'again', %s)",
            (paul, Jsonb({"reservation_id": str(res["id"])})),
        )
    assert [k for k, u in kinds(g) if u == paul] == ["booking.confirmed"]
    assert len(g.outbox("notification.created")) == 2


# --- reading: one's own only, pages, unread --------------------------------------------


def test_a_resident_reads_only_their_own_notifications(g: Garage) -> None:
    olga, paul, _, _ = booked(g)
    rows = g.call(paul, "SELECT user_id, kind FROM parkshare.notifications")
    assert [(r["user_id"], r["kind"]) for r in rows] == [(paul, "booking.confirmed")]
    assert [n["kind"] for n in mine(g, olga)["notifications"]] == ["spot.booked"]
    # Nor their choices.
    g.call(olga, "SELECT parkshare.set_notification_preferences(NULL, 30, 'fr')")
    assert g.call(paul, "SELECT * FROM parkshare.notification_preferences") == []


def test_another_building_sees_none_of_them(g: Garage, api_database: TestDb) -> None:
    booked(g)
    other = Garage.create(api_database)
    try:
        assert other.call(other.admin_id, "SELECT * FROM parkshare.notifications") == []
    finally:
        other.close()


def many(garage: Garage, user: UUID, count: int) -> list[int]:
    """`count` notifications of `user`, written as a cause would (as the owner role)."""
    with admin_connect(garage.db.admin_url) as admin:
        return [
            admin.execute(
                "SELECT (parkshare.ps_notify(%s, 'request.matched', %s, '', '{}')).id",
                (user, f"n{i}"),
            ).fetchone()["id"]  # type: ignore[index]
            for i in range(count)
        ]


def test_pages_go_newest_first_below_before(g: Garage) -> None:
    paul = g.user("Paul")
    ids = many(g, paul, 5)
    first = mine(g, paul, None, 2)
    assert [n["id"] for n in first["notifications"]] == [ids[4], ids[3]]
    assert first["unread"] == 5
    second = mine(g, paul, ids[3], 2)
    assert [n["id"] for n in second["notifications"]] == [ids[2], ids[1]]
    assert [n["id"] for n in mine(g, paul, ids[0])["notifications"]] == []
    assert len(mine(g, paul)["notifications"]) == 5
    assert set(first["notifications"][0]) == {"id", "kind", "at", "read", "title", "body", "data"}


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_a_limit_outside_1_to_100_is_refused(g: Garage, limit: int) -> None:
    paul = g.user("Paul")
    with pytest.raises(Problem) as refused:
        mine(g, paul, None, limit)
    assert problem_code(refused.value) == "invalid_request"


def mark(garage: Garage, user: UUID, ids: list[int] | None, all_: bool | None) -> int:
    row = garage.one(user, "SELECT parkshare.mark_notifications_read(%s, %s) AS n", (ids, all_))
    return int(row["n"])


def test_marking_ids_read_lowers_the_unread_count(g: Garage) -> None:
    paul, olga = g.user("Paul"), g.user("Olga")
    ids = many(g, paul, 3)
    theirs = many(g, olga, 1)
    assert mark(g, paul, [ids[0], ids[2], theirs[0]], None) == 2
    page = mine(g, paul)
    assert page["unread"] == 1
    assert [n["read"] for n in page["notifications"]] == [True, False, True]
    assert mine(g, olga)["unread"] == 1  # another's id is passed over
    assert mark(g, paul, [ids[0]], None) == 0  # already read


def test_marking_all_read(g: Garage) -> None:
    paul, olga = g.user("Paul"), g.user("Olga")
    many(g, paul, 3)
    many(g, olga, 2)
    assert mark(g, paul, None, True) == 3
    assert mine(g, paul)["unread"] == 0
    assert mine(g, olga)["unread"] == 2


@pytest.mark.parametrize(
    ("ids", "all_"), [(None, None), ([1], True), (None, False), (list(range(1001)), None)]
)
def test_marking_needs_ids_or_all_true(g: Garage, ids: list[int] | None, all_: bool | None) -> None:
    paul = g.user("Paul")
    with pytest.raises(Problem) as refused:
        mark(g, paul, ids, all_)
    assert problem_code(refused.value) == "invalid_request"


# --- preferences ---------------------------------------------------------------------------

DEFAULT_EMAIL = {
    "booking.confirmed": True,
    "spot.booked": True,
    "booking.cancelled": True,
    "booking.starts_soon": True,
    "booking.ends_soon": False,
    "credits.earned": True,
    "request.matched": True,
    "reservation.no_show": True,
}


def prefs(garage: Garage, user: UUID) -> Any:
    return garage.one(user, "SELECT parkshare.notification_preferences() AS p")["p"]


def set_prefs(
    garage: Garage, user: UUID, email: Any = None, minutes: int | None = None, locale: Any = None
) -> Any:
    row = garage.one(
        user,
        "SELECT parkshare.set_notification_preferences(%s, %s, %s) AS p",
        (None if email is None else Jsonb(email), minutes, locale),
    )
    return row["p"]


def test_preferences_default_to_every_email_but_the_end_reminder(g: Garage) -> None:
    paul = g.user("Paul")
    assert prefs(g, paul) == {"email": DEFAULT_EMAIL, "remind_minutes": 15, "locale": "en"}


def test_preferences_merge_per_kind_and_keep_what_is_not_sent(g: Garage) -> None:
    paul = g.user("Paul")
    set_prefs(g, paul, {"spot.booked": False}, 30, "fr")
    answer = set_prefs(g, paul, {"booking.ends_soon": True})
    assert answer == {
        "email": DEFAULT_EMAIL | {"spot.booked": False, "booking.ends_soon": True},
        "remind_minutes": 30,
        "locale": "fr",
    }
    assert prefs(g, paul) == answer
    assert set_prefs(g, paul, None, 0, "de")["remind_minutes"] == 0


@pytest.mark.parametrize(
    ("email", "minutes", "locale"),
    [
        ({"booking.teleported": True}, None, None),
        ({"spot.booked": "no"}, None, None),
        ({"spot.booked": None}, None, None),
        (["spot.booked"], None, None),
        (None, -1, None),
        (None, 1441, None),
        (None, None, "es"),
        (None, None, "EN"),
    ],
)
def test_unknown_kinds_and_values_are_refused(
    g: Garage, email: Any, minutes: int | None, locale: str | None
) -> None:
    paul = g.user("Paul")
    with pytest.raises(Problem) as refused:
        set_prefs(g, paul, email, minutes, locale)
    assert problem_code(refused.value) == "invalid_request"
    assert prefs(g, paul)["email"] == DEFAULT_EMAIL


def test_the_table_itself_refuses_unknown_kinds(g: Garage) -> None:
    paul = g.user("Paul")
    with admin_connect(g.db.admin_url) as admin, pytest.raises(psycopg.errors.CheckViolation):
        admin.execute(
            "INSERT INTO parkshare.notification_preferences (building_id, user_id, email)"
            " VALUES (%s, %s, '{\"x.y\": true}')",
            (g.building_id, paul),
        )
