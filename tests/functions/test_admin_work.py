"""The admin's work over HTTP: bulk invites bound to addresses, the residents list, disabling
a resident in the middle of a reservation, the policy (new bookings only), the ledger, and the
audit log that records every admin action and every security event."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from parkshare.tokens import Principal, issue_access_token
from tests.conftest import TestDb
from tests.functions.conftest import PASSWORD, bearer, code_of, from_address, resident
from tests.sql.test_local_time import PARIS, SPRING, local
from tests.support import Garage, next_hour, now


async def call(
    name: str, method: str, path: str, headers: dict[str, str], **kwargs: Any
) -> httpx.Response:
    async with from_address(name) as http:
        return await http.request(method, path, headers=headers, **kwargs)


def as_admin(garage: Garage) -> dict[str, str]:
    return bearer(garage, garage.admin_id, "admin")


def audit(database: TestDb, building: UUID | None, action: str) -> list[dict[str, Any]]:
    with psycopg.connect(database.admin_url, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT * FROM parkshare.audit_log"
            " WHERE building_id IS NOT DISTINCT FROM %s AND action = %s ORDER BY id",
            (building, action),
        ).fetchall()


async def login(email: str, password: str = PASSWORD) -> httpx.Response:
    async with from_address("auth") as http:
        return await http.post("/login", json={"email": email, "password": password})


# --- invites -----------------------------------------------------------------------------


async def test_bulk_invites_are_each_bound_to_their_address(api_garage: Garage) -> None:
    emails = [f"new-{i}-{uuid.uuid4().hex[:6]}@example.test" for i in range(3)]
    answer = await call(
        "admin",
        "POST",
        "/invites/bulk",
        as_admin(api_garage),
        json={
            "invites": [{"email": e} for e in emails[:2]] + [{"email": emails[2], "role": "admin"}]
        },
    )
    assert answer.status_code == 201, answer.text
    made = answer.json()["invites"]
    assert [(m["email"], m["role"]) for m in made] == [
        (emails[0], "resident"),
        (emails[1], "resident"),
        (emails[2], "admin"),
    ]
    assert len({m["invite_code"] for m in made}) == 3
    signup = {"password": PASSWORD, "display_name": "New"}
    async with from_address("auth") as http:
        wrong = await http.post(
            "/signup", json={"invite_code": made[0]["invite_code"], "email": emails[1], **signup}
        )
        assert wrong.status_code == 400 and code_of(wrong) == "invalid_invite"
        right = await http.post(
            "/signup",
            json={"invite_code": made[0]["invite_code"], "email": emails[0].upper(), **signup},
        )
        assert right.status_code == 201, right.text


async def test_a_bulk_invite_with_one_bad_entry_creates_none(
    api_garage: Garage, api_database: TestDb
) -> None:
    before = len(audit(api_database, api_garage.building_id, "admin.invite_created"))
    answer = await call(
        "admin",
        "POST",
        "/invites/bulk",
        as_admin(api_garage),
        json={"invites": [{"email": "fine@example.test"}, {"email": "not an address"}]},
    )
    assert answer.status_code == 422 and code_of(answer) == "invalid_request"
    assert len(audit(api_database, api_garage.building_id, "admin.invite_created")) == before


# --- residents ---------------------------------------------------------------------------


async def test_the_residents_list_shows_balances_and_holdings(api_garage: Garage) -> None:
    owner, parker = api_garage.user("Olga"), api_garage.user("Paul")
    spot = api_garage.spot(owner)
    api_garage.offer(owner, spot, next_hour(1), next_hour(10))
    api_garage.reserve(parker, spot, next_hour(2), next_hour(3))
    answer = await call("admin", "GET", "/residents", as_admin(api_garage))
    assert answer.status_code == 200, answer.text
    rows = {r["id"]: r for r in answer.json()["residents"]}
    assert set(rows) == {str(api_garage.admin_id), str(owner), str(parker)}
    assert (rows[str(parker)]["credits"], rows[str(parker)]["upcoming_reservations"]) == (47, 1)
    assert (rows[str(owner)]["credits"], rows[str(owner)]["spots"]) == (50, 1)
    assert rows[str(parker)]["active"] is True and rows[str(parker)]["sign_in"] == "password"
    assert rows[str(api_garage.admin_id)]["role"] == "admin"


async def test_disabling_a_resident_in_the_middle_of_a_reservation(
    api_garage: Garage, api_database: TestDb
) -> None:
    g = api_garage
    leaver, leaver_email = resident(g, "Leo")
    other_owner, parker = g.user("Anna"), g.user("Bert")
    their_spot, leaver_spot = g.spot(other_owner), g.spot(leaver)
    start = now() - timedelta(minutes=2)
    g.offer(other_owner, their_spot, start, next_hour(30))
    g.offer(leaver, leaver_spot, start, next_hour(30))
    # Under way: the leaver parks in Anna's spot; Bert parks in the leaver's spot.
    parked = g.reserve(leaver, their_spot, start, next_hour(2))
    # Read once: the clock may pass an hour during the test.
    hosted_end = next_hour(3)
    hosted = g.reserve(parker, leaver_spot, start, hosted_end)
    # Not yet started: one booking by the leaver, one of the leaver's spot.
    later_mine = g.reserve(leaver, their_spot, next_hour(5), next_hour(6))
    later_theirs = g.reserve(parker, leaver_spot, next_hour(7), next_hour(8))
    session = await login(leaver_email)
    assert session.status_code == 200
    tokens = session.json()
    assert (g.balance(leaver), g.balance(parker)) == (44, 44)

    answer = await call(
        "admin", "POST", "/residents/disable", as_admin(g), json={"user_id": str(leaver)}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "user_id": str(leaver),
        "cancelled": 2,
        "spots_withdrawn": 1,
        # The login above, and the one the test's own calls as the leaver ran in.
        "sessions_ended": 2,
    }
    status = {
        name: g.reservation(row["id"])["status"]
        for name, row in (
            ("parked", parked),
            ("hosted", hosted),
            ("later_mine", later_mine),
            ("later_theirs", later_theirs),
        )
    }
    assert status == {
        "parked": "booked",
        "hosted": "booked",
        "later_mine": "cancelled",
        "later_theirs": "cancelled",
    }
    # Refunds of what had not started; the stays under way keep their holds.
    assert (g.balance(leaver), g.balance(parker)) == (47, 47)
    # The leaver's spot stays offered only until Bert's stay ends.
    assert g.windows(leaver_spot)[-1][1] == hosted_end
    # Their tokens stop working at once: the access token, and the refresh token.
    async with from_address("me") as http:
        me = await http.get("/", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 401
    async with from_address("auth") as http:
        refreshed = await http.post("/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    assert (await login(leaver_email)).status_code == 401
    [entry] = audit(api_database, g.building_id, "admin.user_disabled")
    assert entry["actor_id"] == g.admin_id and entry["subject_id"] == leaver
    assert entry["detail"] == {"cancelled": 2, "spots_withdrawn": 1, "sessions_ended": 2}

    # What was under way settles as usual, and the ledger still balances.
    g.travel(timedelta(hours=4))
    assert g.settle() == 2
    assert g.balance(leaver) == 47 + 3 and g.balance(other_owner) == 53
    totals = g.audit()
    assert (
        totals["users"] + totals["escrow"] == totals["grants"] and totals["drifted_accounts"] == 0
    )

    # Enabled again, they sign in again; disabling twice changes nothing more.
    enabled = await call(
        "admin", "POST", "/residents/enable", as_admin(g), json={"user_id": str(leaver)}
    )
    assert enabled.status_code == 204
    assert (await login(leaver_email)).status_code == 200


async def test_an_admin_cannot_disable_themself(api_garage: Garage) -> None:
    answer = await call(
        "admin",
        "POST",
        "/residents/disable",
        as_admin(api_garage),
        json={"user_id": str(api_garage.admin_id)},
    )
    assert answer.status_code == 409 and code_of(answer) == "conflict"


# --- policy ------------------------------------------------------------------------------


async def test_a_policy_change_applies_to_new_bookings_only(
    api_garage: Garage, api_database: TestDb
) -> None:
    g = api_garage
    owner, parker = g.user("Olga"), g.user("Paul")
    spot = g.spot(owner)
    g.offer(owner, spot, next_hour(1), next_hour(20))
    before = g.reserve(parker, spot, next_hour(1), next_hour(2))
    changed = await call("admin", "PATCH", "/policy", as_admin(g), json={"cost": 5, "max_hours": 2})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        "cost": 5,
        "starting_credits": 50,
        "max_hours": 2,
        "horizon_days": 30,
        "checkin_grace_minutes": 0,
        "no_show_owner_share": 1,
    }
    after = g.reserve(parker, spot, next_hour(3), next_hour(5))
    assert (before["cost"], after["cost"]) == (3, 5)
    assert g.balance(parker) == 50 - 3 - 5
    with pytest.raises(Exception, match="at most 2 hours"):
        g.reserve(parker, spot, next_hour(6), next_hour(9))
    # The earlier booking is refunded what it cost, not the new price.
    g.cancel(parker, before["id"])
    assert g.balance(parker) == 50 - 5
    [entry] = audit(api_database, g.building_id, "admin.policy_changed")
    assert entry["detail"]["before"]["cost"] == 3 and entry["detail"]["after"]["cost"] == 5
    # Every resident sees the policy on their page.
    async with from_address("me") as http:
        page = await http.get("/", headers=bearer(g, parker))
    assert page.json()["building"]["policy"]["cost"] == 5
    assert page.json()["building"]["timezone"] == "Europe/Paris"


@pytest.mark.parametrize(
    "body", [{"cost": -1}, {"max_hours": 0}, {"horizon_days": 401}, {"cost": "5"}, {"rent": 1}]
)
async def test_a_bad_policy_is_refused(api_garage: Garage, body: dict[str, Any]) -> None:
    answer = await call("admin", "PATCH", "/policy", as_admin(api_garage), json=body)
    assert answer.status_code == 422 and code_of(answer) == "invalid_request"


# --- ledger and audit --------------------------------------------------------------------


async def test_the_ledger_pages_newest_first_and_filters_by_resident(api_garage: Garage) -> None:
    g = api_garage
    someone = g.user("Sam")
    g.grant(someone, 4, "thanks")
    g.grant(someone, -1, "fix")
    answer = await call("admin", "GET", "/ledger", as_admin(g), params={"user_id": str(someone)})
    assert answer.status_code == 200, answer.text
    entries = answer.json()["entries"]
    assert [(e["kind"], e["amount"], e["reason"]) for e in entries] == [
        ("adjustment", 1, "fix"),
        ("adjustment", 4, "thanks"),
        ("grant", 50, "starting credits"),
    ]
    assert entries[0]["from"] == {
        "account": "user",
        "user": {"id": str(someone), "display_name": "Sam"},
    }
    assert entries[0]["to"] == {"account": "issuance", "user": None}
    assert entries[0]["created_by"]["id"] == str(g.admin_id)
    page = await call(
        "admin", "GET", "/ledger", as_admin(g), params={"before": entries[0]["id"], "limit": 1}
    )
    assert [e["id"] for e in page.json()["entries"]] == [entries[1]["id"]]


async def test_every_admin_action_is_in_the_audit_log(api_garage: Garage) -> None:
    g = api_garage
    someone = g.user("Sam")
    admin = as_admin(g)
    assert (await call("admin", "POST", "/invites", admin, json={})).status_code == 201
    credited = await call(
        "admin",
        "POST",
        "/credits",
        admin,
        json={"user_id": str(someone), "amount": 2, "reason": "r"},
    )
    assert credited.status_code == 201
    policy = await call("admin", "PATCH", "/policy", admin, json={"horizon_days": 10})
    assert policy.status_code == 200
    disabled = await call(
        "admin", "POST", "/residents/disable", admin, json={"user_id": str(someone)}
    )
    assert disabled.status_code == 200
    settled = await call("settle", "POST", "/", admin)
    assert settled.status_code == 200
    answer = await call("admin", "GET", "/audit", admin, params={"action": "admin."})
    assert answer.status_code == 200, answer.text
    entries = answer.json()["entries"]
    assert [e["action"] for e in entries] == [
        "admin.settled",
        "admin.user_disabled",
        "admin.policy_changed",
        "admin.credits_adjusted",
        "admin.invite_created",
        "admin.user_created",  # Sam, made by the admin directly
    ]
    assert all(e["actor"]["id"] == str(g.admin_id) for e in entries)
    assert entries[3]["subject"] == {"id": str(someone), "display_name": "Sam"}
    assert entries[3]["detail"]["amount"] == 2


def test_the_audit_log_is_append_only(api_garage: Garage, api_database: TestDb) -> None:
    api_garage.user("Sam")
    with psycopg.connect(api_database.admin_url) as conn:
        conn.execute("SET ROLE parkshare_owner")
        for statement in (
            "UPDATE parkshare.audit_log SET action = 'admin.nothing'",
            "DELETE FROM parkshare.audit_log",
            "TRUNCATE parkshare.audit_log",
        ):
            with pytest.raises(psycopg.Error) as refused:
                conn.execute(statement)
            assert refused.value.sqlstate == "PSC09"
            conn.rollback()
            conn.execute("SET ROLE parkshare_owner")


# --- security events ---------------------------------------------------------------------


async def test_failed_logins_are_audited_in_the_building_they_concern(
    api_garage: Garage, api_database: TestDb
) -> None:
    user, email = resident(api_garage)
    assert (await login(email, "wrong password!")).status_code == 401
    [entry] = audit(api_database, api_garage.building_id, "security.login_failed")
    assert entry["subject_id"] == user and entry["detail"]["reason"] == "wrong_password"
    assert entry["address"] is not None
    stranger = f"nobody-{uuid.uuid4().hex[:8]}@example.test"
    assert (await login(stranger)).status_code == 401
    unattributed = [
        e
        for e in audit(api_database, None, "security.login_failed")
        if e["detail"]["email"] == stranger
    ]
    assert len(unattributed) == 1 and unattributed[0]["detail"]["reason"] == "unknown_email"


async def test_refused_tokens_are_audited_and_attributed_only_when_ours(
    api_garage: Garage, api_database: TestDb
) -> None:
    user = api_garage.user("Eve")
    expired = issue_access_token(
        Principal(user, api_garage.building_id, "resident"), now=time.time() - 3600
    )
    async with from_address("me") as http:
        answer = await http.get("/", headers={"Authorization": f"Bearer {expired}"})
    assert answer.status_code == 401 and code_of(answer) == "invalid_token"
    [entry] = audit(api_database, api_garage.building_id, "security.token_refused")
    assert entry["subject_id"] == user and "exp" in entry["detail"]["reason"]
    # A token that merely names the building (not signed by us) is not put in its log.
    header, payload, _ = expired.split(".")
    async with from_address("me") as http:
        forged = await http.get("/", headers={"Authorization": f"Bearer {header}.{payload}.AAAA"})
    assert forged.status_code == 401
    assert len(audit(api_database, api_garage.building_id, "security.token_refused")) == 1


async def test_a_rate_limited_login_is_audited(api_garage: Garage, api_database: TestDb) -> None:
    _, email = resident(api_garage)
    answers = [(await login(email, "wrong password!")).status_code for _ in range(6)]
    assert answers[-1] == 429
    limited = [
        e
        for e in audit(api_database, None, "security.rate_limited")
        if e["detail"].get("email") == email
    ]
    assert len(limited) == 1 and limited[0]["detail"]["scope"] == "account"


# --- utilization -------------------------------------------------------------------------


async def test_utilization_counts_elapsed_hours_per_local_day_across_a_clock_change(
    api_database: TestDb,
) -> None:
    """The short spring day of Europe/Paris has 23 hours: a spot offered all of it shows 23
    available hours that day, and a booking from 01:00 to 04:00 local time, 2 hours."""
    garage = Garage.create(api_database, horizon_days=400)
    try:
        owner, parker = garage.user("Owner"), garage.user("Parker")
        spot, idle = garage.spot(owner, "U-1"), garage.spot(owner, "U-2")
        day_before, day_after = SPRING - timedelta(days=1), SPRING + timedelta(days=1)
        garage.offer(owner, spot, local(day_before, clock(12)), local(day_after, clock(12)))
        garage.reserve(parker, spot, local(SPRING, clock(1)), local(SPRING, clock(4)))
        answer = await call(
            "admin",
            "GET",
            "/utilization",
            as_admin(garage),
            params={
                "start": local(day_before, clock(0)).isoformat(),
                "end": (local(day_after, clock(0)) + timedelta(days=1)).isoformat(),
            },
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["timezone"] == "Europe/Paris"
        assert [(d["date"], d["available_hours"], d["booked_hours"]) for d in body["days"]] == [
            (day_before.isoformat(), 12, 0),
            (SPRING.isoformat(), 23, 2),
            (day_after.isoformat(), 12, 0),
        ]
        assert [(s["spot_id"], s["available_hours"], s["booked_hours"]) for s in body["spots"]] == [
            (str(spot), 47, 2),
            (str(idle), 0, 0),
        ]
    finally:
        garage.close()


async def test_a_cancelled_booking_used_nothing(api_garage: Garage) -> None:
    owner, parker = api_garage.user("Owner"), api_garage.user("Parker")
    spot = api_garage.spot(owner, "C-1")
    start = next_hour()
    api_garage.offer(owner, spot, start, start + timedelta(hours=4))
    booked = api_garage.reserve(
        parker, spot, start + timedelta(hours=1), start + timedelta(hours=2)
    )
    api_garage.cancel(parker, booked["id"])
    answer = await call(
        "admin",
        "GET",
        "/utilization",
        as_admin(api_garage),
        params={"start": start.isoformat(), "end": (start + timedelta(hours=4)).isoformat()},
    )
    assert [(s["available_hours"], s["booked_hours"]) for s in answer.json()["spots"]] == [(4, 0)]


async def test_the_default_is_the_last_seven_local_days(api_garage: Garage) -> None:
    answer = await call("admin", "GET", "/utilization", as_admin(api_garage))
    days = answer.json()["days"]
    assert len(days) == 7
    today = datetime.now(PARIS).date()
    assert days[-1]["date"] == today.isoformat()
    assert days[0]["date"] == (today - timedelta(days=6)).isoformat()


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"},
        {"start": "2030-01-01T00:00:00Z", "end": "2030-06-01T00:00:00Z"},
        {"start": "2030-01-01T00:00:00", "end": "2030-01-02T00:00:00Z"},
    ],
    ids=["backwards", "too long", "no offset"],
)
async def test_a_bad_utilization_window_is_refused(
    api_garage: Garage, params: dict[str, str]
) -> None:
    answer = await call("admin", "GET", "/utilization", as_admin(api_garage), params=params)
    assert (answer.status_code, code_of(answer)) == (422, "invalid_window")
