"""Randomized runs of the ledger's operations with requests, check-ins and no-shows.

A hypothesis state machine drives one building with check-in on through offers, withdrawals,
bookings, cancellations, requests (made, withdrawn), check-ins, credit changes and the passing
of time (after which the worker's procedures run, each twice). Matching happens inside the
procedures, so rather than predicting each answer this machine lets the database decide and
checks after every step what must always hold: rule 11 recomputed from the entries alone,
every reservation's money matching its status (a no-show's share and refund exactly once), no
request matched twice or to anyone else's booking, no double booking, at most five waiting
requests per resident and none overlapping, none waiting past its start once the worker ran.

Virtual hours as in test_ledger_state_machine: hour `h` lies at `base + (h - elapsed)` hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from parkshare.problems import Problem
from parkshare.store.db import admin_connect
from tests.sql import test_ledger_state_machine as ledger
from tests.sql.test_ledger_state_machine import _drop, _share_servers  # noqa: F401 (fixture)
from tests.support import HOUR, Garage, now

COST = 3
SHARE = 1
STARTING_CREDITS = 12
GRACE_MINUTES = 20


class DemandMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        assert ledger._servers is not None, "the module fixture shares the servers"
        self.servers = ledger._servers
        self.db = self.servers.create(self.servers.template)
        self.garage = Garage.create(
            self.db,
            cost=COST,
            starting_credits=STARTING_CREDITS,
            checkin_grace_minutes=GRACE_MINUTES,
            no_show_owner_share=SHARE,
        )
        self.base = now() + timedelta(minutes=30)
        self.elapsed = 0
        self.residents: list[UUID] = []
        self.spots: list[tuple[UUID, UUID]] = []  # (spot, owner), in creation order

    def teardown(self) -> None:
        self.garage.close()
        _drop(self.servers.admin_url, self.db.name)

    def at(self, hour: int) -> datetime:
        return self.base + (hour - self.elapsed) * HOUR

    def attempt(self, user: UUID | None, query: str, params: tuple[Any, ...] = ()) -> None:
        try:
            self.garage.call(user, query, params)
            event("accepted")
        except Problem as problem:
            event(f"refused: {problem.code}")

    def superuser(self, query: str, *params: Any) -> list[dict[str, Any]]:
        with admin_connect(self.db.admin_url) as conn:
            return [dict(r) for r in conn.execute(query, params).fetchall()]

    def rows_of(self, query: str) -> list[dict[str, Any]]:
        # The machine's database holds its one building alone.
        return self.superuser(query)

    # --- setup ----------------------------------------------------------------------------

    @initialize(residents=st.integers(4, 5), spots=st.integers(2, 3))
    def building(self, residents: int, spots: int) -> None:
        for index in range(residents):
            self.residents.append(self.garage.user(f"Resident{index}"))
        for index in range(spots):
            owner = self.residents[index % 2]
            self.spots.append((self.garage.spot(owner, f"P-{index}"), owner))

    # --- rules ----------------------------------------------------------------------------

    @rule(data=st.data(), offset=st.integers(0, 10), hours=st.integers(1, 8))
    def offer(self, data: st.DataObject, offset: int, hours: int) -> None:
        spot, owner = data.draw(st.sampled_from(self.spots), label="spot")
        start = self.elapsed + offset
        self.attempt(
            owner,
            "SELECT * FROM parkshare.set_availability(%s, %s, %s, true, false)",
            (spot, self.at(start), self.at(start + hours)),
        )

    @rule(data=st.data(), offset=st.integers(0, 10), hours=st.integers(1, 4), cancel=st.booleans())
    def withdraw(self, data: st.DataObject, offset: int, hours: int, cancel: bool) -> None:
        spot, owner = data.draw(st.sampled_from(self.spots), label="spot")
        start = self.elapsed + offset
        self.attempt(
            owner,
            "SELECT * FROM parkshare.set_availability(%s, %s, %s, false, %s)",
            (spot, self.at(start), self.at(start + hours), cancel),
        )

    @rule(data=st.data(), offset=st.integers(0, 10), hours=st.integers(1, 3))
    def reserve(self, data: st.DataObject, offset: int, hours: int) -> None:
        user = data.draw(st.sampled_from(self.residents), label="parker")
        spot, _ = data.draw(st.sampled_from(self.spots), label="spot")
        start = self.elapsed + offset
        self.attempt(
            user,
            "SELECT * FROM parkshare.reserve(%s, %s, %s)",
            (spot, self.at(start), self.at(start + hours)),
        )

    @rule(data=st.data(), offset=st.integers(0, 10), hours=st.integers(1, 3))
    def request(self, data: st.DataObject, offset: int, hours: int) -> None:
        user = data.draw(st.sampled_from(self.residents), label="asker")
        start = self.elapsed + offset
        self.attempt(
            user,
            "SELECT parkshare.make_request(%s, %s)",
            (self.at(start), self.at(start + hours)),
        )

    def booked(self) -> list[dict[str, Any]]:
        return self.rows_of(
            "SELECT id, user_id FROM parkshare.reservations WHERE status = 'booked'"
        )

    def waiting(self) -> list[dict[str, Any]]:
        return self.rows_of("SELECT id, user_id FROM parkshare.requests WHERE status = 'waiting'")

    @precondition(lambda self: bool(self.residents))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        booked = sorted(self.booked(), key=lambda r: str(r["id"]))
        if not booked:
            return
        res = data.draw(st.sampled_from(booked), label="booking")
        self.attempt(res["user_id"], "SELECT * FROM parkshare.cancel(%s)", (res["id"],))

    @rule(data=st.data())
    def check_in(self, data: st.DataObject) -> None:
        booked = sorted(self.booked(), key=lambda r: str(r["id"]))
        if not booked:
            return
        res = data.draw(st.sampled_from(booked), label="booking")
        self.attempt(res["user_id"], "SELECT * FROM parkshare.checkin(%s)", (res["id"],))

    @rule(data=st.data())
    def withdraw_request(self, data: st.DataObject) -> None:
        waiting = sorted(self.waiting(), key=lambda r: str(r["id"]))
        if not waiting:
            return
        req = data.draw(st.sampled_from(waiting), label="request")
        self.attempt(req["user_id"], "SELECT parkshare.withdraw_request(%s)", (req["id"],))

    @rule(data=st.data(), credits=st.integers(1, 12), deduct=st.booleans())
    def grant(self, data: st.DataObject, credits: int, deduct: bool) -> None:
        user = data.draw(st.sampled_from(self.residents), label="resident")
        self.attempt(
            self.garage.admin_id,
            "SELECT * FROM parkshare.grant_credits(%s, %s, 'machine')",
            (user, -credits if deduct else credits),
        )

    @rule(hours=st.integers(1, 4))
    def time_passes(self, hours: int) -> None:
        self.garage.travel(hours * HOUR)
        self.elapsed += hours
        # The worker's jobs, in its order; each a second time finds nothing more.
        for query in (
            "SELECT parkshare.mark_no_shows() AS n",
            "SELECT parkshare.expire_requests() AS n",
            "SELECT parkshare.settle_due() AS n",
        ):
            done = self.garage.system(query)["n"]
            event(f"{query.split('.')[1].split('(')[0]}: {'some' if done else 'none'}")
            assert self.garage.system(query)["n"] == 0, f"{query} found more the second time"
        late = self.rows_of(
            "SELECT id FROM parkshare.requests WHERE status = 'waiting' AND start_at <= now()"
        )
        assert late == [], "a request still waits after its start"

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def rule_11_holds(self) -> None:
        audit = self.garage.audit()
        assert audit["users"] + audit["escrow"] == audit["grants"], audit
        assert audit["drifted_accounts"] == 0, audit
        assert audit["cached_users"] == audit["users"], audit
        (held,) = self.rows_of(
            "SELECT coalesce(sum(cost), 0) AS c FROM parkshare.reservations WHERE status = 'booked'"
        )
        assert audit["escrow"] == held["c"], audit

    @invariant()
    def money_matches_each_status(self) -> None:
        rows = self.superuser(
            """
            SELECT r.id, r.status, r.cost, r.no_show_share,
                   coalesce(sum(l.amount) FILTER (WHERE l.kind = 'hold'), 0) AS hold,
                   coalesce(sum(l.amount) FILTER (WHERE l.kind = 'refund'), 0) AS refund,
                   coalesce(sum(l.amount) FILTER (WHERE l.kind = 'payout'), 0) AS payout,
                   coalesce(sum(l.amount) FILTER (WHERE l.kind = 'no_show_payout'), 0) AS share,
                   coalesce(sum(l.amount) FILTER (WHERE l.kind = 'no_show_refund'), 0) AS back
            FROM parkshare.reservations r
            LEFT JOIN parkshare.ledger_entries l ON l.reservation_id = r.id
            GROUP BY r.building_id, r.id
            """
        )
        for r in rows:
            released = {
                "booked": (0, 0, 0, 0),
                "cancelled": (r["cost"], 0, 0, 0),
                "settled": (0, r["cost"], 0, 0),
                "no_show": (0, 0, r["no_show_share"], r["cost"] - r["no_show_share"]),
            }[r["status"]]
            assert r["hold"] == r["cost"], r
            assert (r["refund"], r["payout"], r["share"], r["back"]) == released, r

    @invariant()
    def no_request_matched_twice(self) -> None:
        matched = self.rows_of(
            "SELECT q.user_id, q.period, q.reservation_id, r.user_id AS parker,"
            " r.period AS booked FROM parkshare.requests q"
            " JOIN parkshare.reservations r ON r.id = q.reservation_id"
            " WHERE q.status = 'matched'"
        )
        booking_ids = [m["reservation_id"] for m in matched]
        assert len(booking_ids) == len(set(booking_ids)), "a booking serves two requests"
        for m in matched:
            assert m["parker"] == m["user_id"], m
            assert m["booked"] == m["period"], m
        loose = self.rows_of(
            "SELECT id FROM parkshare.requests"
            " WHERE (status = 'matched') <> (reservation_id IS NOT NULL)"
        )
        assert loose == []

    @invariant()
    def waiting_requests_are_few_and_apart(self) -> None:
        counts = self.rows_of(
            "SELECT user_id, count(*) AS n FROM parkshare.requests WHERE status = 'waiting'"
            " GROUP BY building_id, user_id HAVING count(*) > 5"
        )
        assert counts == []
        overlapping = self.rows_of(
            "SELECT a.id FROM parkshare.requests a JOIN parkshare.requests b"
            " ON a.user_id = b.user_id AND a.id < b.id AND a.period && b.period"
            " AND b.status = 'waiting' WHERE a.status = 'waiting'"
        )
        assert overlapping == []

    @invariant()
    def no_double_booking(self) -> None:
        rows = self.rows_of(
            """
            SELECT a.id FROM parkshare.reservations a
            JOIN parkshare.reservations b ON a.id < b.id AND a.period && b.period
            WHERE ((a.spot_id = b.spot_id
                   AND a.status IN ('booked', 'settled') AND b.status IN ('booked', 'settled'))
               OR (a.user_id = b.user_id AND a.status = 'booked' AND b.status = 'booked'))
            """
        )
        assert rows == [], "rule 1 or 2 broken"


TestDemand = DemandMachine.TestCase
TestDemand.settings = settings(
    max_examples=20,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
