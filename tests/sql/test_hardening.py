"""Rules against hostile input, in PostgreSQL: plain names and labels, one key per email
address, windows every answer can express, sessions checked when a context is entered, and
idempotency keys that expire."""

from __future__ import annotations

import uuid
from datetime import timedelta

import psycopg
import pytest

from parkshare.problems import Problem, db_errors
from parkshare.store.db import admin_connect, app_connect, set_context
from tests.conftest import TestDb
from tests.support import Garage, next_hour, now


@pytest.fixture
def garage(database: TestDb) -> Garage:
    return Garage.create(database)


def code(excinfo: pytest.ExceptionInfo[Problem]) -> str:
    return excinfo.value.code


@pytest.mark.parametrize(
    "label",
    ["B2\u202e-7", "\u200b", "B2\u200b-7", "B2\u00ad7", "\u2066B2-7", "B2\u0007-7", "B2\u2028"],
)
def test_a_label_holds_no_invisible_or_reordering_character(garage: Garage, label: str) -> None:
    owner = garage.user("Owner")
    with pytest.raises(Problem) as refused:
        garage.spot(owner, label)
    assert code(refused) == "invalid_request"


def test_a_label_is_stored_composed_and_compared_folded(garage: Garage) -> None:
    owner = garage.user("Owner")
    spot = garage.spot(owner, "Ca\u0301-1")  # a + combining acute
    row = garage.one(owner, "SELECT label FROM parkshare.spots WHERE id = %s", (spot,))
    assert row["label"] == "C\u00e1-1"
    for twin in ["c\u00e1-1", "C\u00c1-1", "\uff23\u00e1-1"]:
        with pytest.raises(Problem) as taken:
            garage.spot(owner, twin)
        assert code(taken) == "label_taken", repr(twin)


def test_notes_keep_their_line_breaks_but_no_bidi_override(garage: Garage) -> None:
    owner = garage.user("Owner")
    garage.one(owner, "SELECT * FROM parkshare.add_spot('N-1', NULL, %s)", ("Row B\nby the lift",))
    with pytest.raises(Problem) as refused:
        garage.one(owner, "SELECT * FROM parkshare.add_spot('N-2', NULL, %s)", ("x\u202ey",))
    assert code(refused) == "invalid_request"


def test_a_display_name_is_plain(garage: Garage) -> None:
    user = garage.user("Dora")
    for name in ["\u200b", "Dora\u202e", " \u3000 "]:
        with pytest.raises(Problem) as refused:
            garage.one(user, "SELECT parkshare.update_profile(%s)", (name,))
        assert code(refused) == "invalid_request", repr(name)


def test_an_address_is_one_account_however_it_is_spelled(garage: Garage) -> None:
    email = f"ilse-{uuid.uuid4().hex[:6]}@example.test"
    garage.one(
        garage.admin_id,
        "SELECT id FROM parkshare.create_user(%s, NULL, 'Ilse', 'resident')",
        (email,),
    )
    for twin in [email.upper(), email.replace("i", "\u0130", 1)]:
        with pytest.raises(Problem) as taken:
            garage.one(
                garage.admin_id,
                "SELECT id FROM parkshare.create_user(%s, NULL, 'Twin', 'resident')",
                (twin,),
            )
        assert code(taken) == "email_taken", twin


def test_an_address_with_an_accent_matches_composed_or_not(garage: Garage) -> None:
    composed = f"ren\u00e9-{uuid.uuid4().hex[:6]}@example.test"
    user = garage.one(
        garage.admin_id,
        "SELECT id FROM parkshare.create_user(%s, NULL, 'Rene', 'resident')",
        (composed,),
    )["id"]
    decomposed = composed.replace("\u00e9", "e\u0301")
    found = garage.system("SELECT user_id FROM parkshare.login_lookup(%s)", (decomposed,))
    assert found["user_id"] == user


def test_availability_reaches_no_further_than_a_year_past_the_horizon(garage: Garage) -> None:
    owner = garage.user("Owner")
    spot = garage.spot(owner)
    garage.offer(owner, spot, next_hour(1), next_hour(1) + timedelta(days=30 + 365))
    with pytest.raises(Problem) as refused:
        garage.offer(owner, spot, next_hour(1), next_hour(1) + timedelta(days=30 + 368))
    assert code(refused) == "invalid_window"
    with pytest.raises(Problem) as refused:
        garage.withdraw(owner, spot, now() - timedelta(days=400), next_hour(2))
    assert code(refused) == "invalid_window"


def test_no_stored_window_reaches_the_year_10000(database: TestDb, garage: Garage) -> None:
    """Even written past the procedures (by the owner role itself), a window beyond what an
    answer can express is refused by the table."""
    owner = garage.user("Owner")
    spot = garage.spot(owner)
    with admin_connect(database.admin_url) as admin, pytest.raises(psycopg.errors.CheckViolation):
        admin.execute(
            "INSERT INTO parkshare.availability (building_id, spot_id, period)"
            " VALUES (%s, %s, tstzrange(now(), '9999-12-31 20:00-14', '[)'))",
            (garage.building_id, spot),
        )


# --- sessions ---------------------------------------------------------------------------------


def test_a_context_for_a_user_needs_a_live_session_of_theirs(
    database: TestDb, garage: Garage
) -> None:
    user, other = garage.user("Una"), garage.user("Otto")
    conn = app_connect(database.app_url)
    try:
        for session in [None, uuid.uuid4(), garage.session(other)]:
            with pytest.raises(Problem) as refused, db_errors(), conn.transaction():
                set_context(conn, garage.building_id, user, session)
            assert code(refused) == "invalid_token", session
        live = garage.session(user)
        with db_errors(), conn.transaction():
            set_context(conn, garage.building_id, user, live)
        garage.one(user, "SELECT parkshare.revoke_session(%s)", (live,))
        with pytest.raises(Problem) as ended, db_errors(), conn.transaction():
            set_context(conn, garage.building_id, user, live)
        assert code(ended) == "invalid_token"
    finally:
        conn.close()


def test_the_operator_acts_for_a_user_without_a_session(database: TestDb, garage: Garage) -> None:
    """The command line (the migrator's connection) seeds and repairs without logging in."""
    user = garage.user("Una")
    with admin_connect(database.admin_url) as admin, admin.transaction():
        admin.execute("SET LOCAL ROLE parkshare_app")
        set_context(admin, garage.building_id, user)
        row = admin.execute("SELECT (parkshare.me_view())->'user'->>'id' AS id").fetchone()
    assert row is not None and row["id"] == str(user)


# --- idempotency keys ---------------------------------------------------------------------------


def test_idempotency_keys_older_than_a_day_are_pruned(database: TestDb, garage: Garage) -> None:
    owner, parker = garage.user("Owner"), garage.user("Parker")
    spot = garage.spot(owner)
    garage.offer(owner, spot, next_hour(1), next_hour(20))
    book = "SELECT parkshare.reserve_request(%s, %s, %s, %s, 'hash') AS r"
    first = garage.one(parker, book, (spot, next_hour(2), next_hour(3), "old-key"))["r"]
    garage.one(parker, book, (spot, next_hour(4), next_hour(5), "new-key"))
    with admin_connect(database.admin_url) as admin:
        admin.execute(
            "ALTER TABLE parkshare.idempotency_keys DISABLE ROW LEVEL SECURITY;"
            " UPDATE parkshare.idempotency_keys SET created_at = now() - interval '25 hours'"
            " WHERE key = 'old-key';"
            " ALTER TABLE parkshare.idempotency_keys ENABLE ROW LEVEL SECURITY"
        )
    pruned = garage.system("SELECT parkshare.idempotency_prune(interval '24 hours') AS n")
    assert pruned["n"] == 1
    with admin_connect(database.admin_url) as admin:
        keys = {r["key"] for r in admin.execute("SELECT key FROM parkshare.idempotency_keys")}
    assert keys == {"new-key"}
    # The old key is forgotten: the same request books again (and meets its own booking).
    with pytest.raises(Problem) as again:
        garage.one(parker, book, (spot, next_hour(2), next_hour(3), "old-key"))
    assert code(again) == "spot_taken" and first["id"]


def test_pruning_keys_is_system_work(garage: Garage) -> None:
    with pytest.raises(Problem) as refused:
        garage.one(garage.admin_id, "SELECT parkshare.idempotency_prune(interval '1 hour')")
    assert code(refused) == "forbidden"
