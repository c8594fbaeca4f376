"""Lobby displays in the database: only a token's hash is kept, revoking ends what the token
opens, the board names nobody, and a building's displays are its own."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any
from uuid import UUID, uuid4

import pytest

from parkshare.problems import Problem
from parkshare.store.db import admin_connect
from tests.conftest import TestDb
from tests.support import HOUR, Garage, next_hour, now, problem_code


def new_token() -> tuple[str, bytes]:
    token = secrets.token_urlsafe(32)
    return token, hashlib.sha256(token.encode()).digest()


def create(
    garage: Garage, name: str = "Lobby", user: UUID | None = None
) -> tuple[dict[str, Any], str]:
    token, digest = new_token()
    row = garage.one(
        user or garage.admin_id,
        "SELECT parkshare.create_display(%s, %s) AS d",
        (name, digest),
    )
    return row["d"], token


def board(garage: Garage, token: str) -> Any:
    digest = hashlib.sha256(token.encode()).digest()
    return garage.system("SELECT parkshare.board_view(%s) AS b", (digest,))["b"]


def listed(garage: Garage, user: UUID | None = None) -> list[dict[str, Any]]:
    row = garage.one(user or garage.admin_id, "SELECT parkshare.admin_displays() AS d")
    return list(row["d"]["displays"])


def revoke(garage: Garage, display: Any, user: UUID | None = None) -> None:
    garage.one(user or garage.admin_id, "SELECT parkshare.revoke_display(%s)", (display,))


def stored(garage: Garage, display: Any) -> dict[str, Any]:
    with admin_connect(garage.db.admin_url) as admin:
        row = admin.execute("SELECT * FROM parkshare.displays WHERE id = %s", (display,)).fetchone()
    assert row is not None
    return dict(row)


def test_a_display_keeps_only_the_sha256_of_its_token(garage: Garage) -> None:
    made, token = create(garage, "  Lobby, east door ")
    assert set(made) == {"id", "name", "created_at", "last_seen_at"}
    assert made["name"] == "Lobby, east door"
    assert made["last_seen_at"] is None
    row = stored(garage, made["id"])
    assert bytes(row["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert token not in json.dumps(row, default=str)
    assert listed(garage) == [made]


def test_a_display_name_is_plain_text_of_at_most_100_characters(garage: Garage) -> None:
    for name in ("", "   ", "x" * 101, "Lobby\u200b"):
        with pytest.raises(Problem) as refused:
            create(garage, name)
        assert problem_code(refused.value) == "invalid_request"


def test_only_an_admin_manages_displays(garage: Garage) -> None:
    resident = garage.user("Rita")
    made, _ = create(garage)
    for attempt in (
        lambda: create(garage, user=resident),
        lambda: listed(garage, resident),
        lambda: revoke(garage, made["id"], resident),
    ):
        with pytest.raises(Problem) as refused:
            attempt()
        assert problem_code(refused.value) == "forbidden"


def test_the_board_shows_each_spot_and_nobody(garage: Garage) -> None:
    owner, parker = garage.user("Olivia"), garage.user("Patricia")
    taken = garage.one(
        owner, "SELECT id FROM parkshare.add_spot('B2-17', 'Level -2', 'ask Olivia')"
    )["id"]
    free = garage.one(owner, "SELECT id FROM parkshare.add_spot('B1-03', 'Level -1', NULL)")["id"]
    garage.spot(owner, "Z-9")
    start = next_hour()
    garage.offer(owner, taken, start, start + 4 * HOUR)
    garage.offer(owner, free, start, start + 4 * HOUR)
    booking = garage.reserve(parker, taken, start + HOUR, start + 2 * HOUR)
    # Half an hour into the booking.
    garage.travel(start + HOUR - now() + HOUR / 2)
    made, token = create(garage)

    seen = board(garage, token)
    assert seen["building"] == {"name": "Test Building", "timezone": "Europe/Paris"}
    spots = {s["label"]: s for s in seen["spots"]}
    assert [s["label"] for s in seen["spots"]] == ["B1-03", "B2-17", "Z-9"]
    assert all(
        set(s) == {"label", "location", "status_now", "next_change_at"} for s in spots.values()
    )
    assert spots["B2-17"]["status_now"] == "reserved"
    assert spots["B2-17"]["location"] == "Level -2"
    assert spots["B1-03"]["status_now"] == "free"
    assert spots["Z-9"] == {
        "label": "Z-9",
        "location": None,
        "status_now": "unavailable",
        "next_change_at": None,
    }
    # The booking ends in half an hour: the reserved spot's next change.
    ends = garage.reservation(booking["id"])["end_at"]
    assert spots["B2-17"]["next_change_at"] == ends.isoformat().replace("+00:00", "Z")
    text = json.dumps(seen)
    for secret in ("Olivia", "Patricia", str(owner), str(parker), str(taken), str(booking["id"])):
        assert secret not in text
    assert stored(garage, made["id"])["last_seen_at"] is not None


def test_a_revoked_display_opens_nothing(garage: Garage) -> None:
    made, token = create(garage)
    kept, kept_token = create(garage, "Garage door")
    digest = hashlib.sha256(token.encode()).digest()
    assert garage.system("SELECT * FROM parkshare.display_open(%s)", (digest,)) == {
        "display_id": UUID(made["id"]),
        "building_id": garage.building_id,
    }
    revoke(garage, made["id"])
    revoke(garage, made["id"])  # again: nothing changes
    assert stored(garage, made["id"])["revoked_at"] is not None
    assert [d["id"] for d in listed(garage)] == [kept["id"]]
    for attempt in (
        lambda: board(garage, token),
        lambda: garage.system("SELECT * FROM parkshare.display_open(%s)", (digest,)),
        lambda: board(garage, secrets.token_urlsafe(32)),
    ):
        with pytest.raises(Problem) as refused:
            attempt()
        assert problem_code(refused.value) == "invalid_token"
    alive = garage.system(
        "SELECT array_agg(x) AS ids FROM parkshare.displays_live(%s) x",
        ([UUID(made["id"]), UUID(kept["id"]), uuid4()],),
    )
    assert alive["ids"] == [UUID(kept["id"])]
    assert board(garage, kept_token)["spots"] == []
    with pytest.raises(Problem) as unknown:
        revoke(garage, uuid4())
    assert problem_code(unknown.value) == "display_not_found"


def test_a_display_is_its_buildings_alone(garage: Garage, database: TestDb) -> None:
    made, token = create(garage)
    garage.spot(garage.user("Owner"), "MINE-1")
    other = Garage.create(database)
    try:
        other.spot(other.user("Stranger"), "THEIRS-1")
        assert listed(other) == []
        with pytest.raises(Problem) as refused:
            revoke(other, made["id"])
        assert problem_code(refused.value) == "display_not_found"
        # Row-level security: in another building's context the row does not exist.
        assert other.call(other.admin_id, "SELECT parkshare.admin_displays() AS d")[0]["d"] == {
            "displays": []
        }
        # The token shows its own building's garage, whoever else there is.
        assert [s["label"] for s in board(garage, token)["spots"]] == ["MINE-1"]
    finally:
        other.close()
    # The application role reads no display row at all, hash or not.
    with pytest.raises(Problem) as denied:
        garage.call(garage.admin_id, "SELECT token_hash FROM parkshare.displays")
    assert problem_code(denied.value) == "forbidden"
    # Row-level security, below the procedures: the owner in another building's context
    # sees none of this building's displays, and in this one's sees them.
    with admin_connect(database.admin_url) as owner, owner.transaction():
        owner.execute("SET LOCAL ROLE parkshare_owner")
        seen = []
        for building in (other.building_id, garage.building_id):
            owner.execute("SELECT set_config('parkshare.building_id', %s, true)", (str(building),))
            row = owner.execute("SELECT count(*) AS n FROM parkshare.displays").fetchone()
            assert row is not None
            seen.append(row["n"])
    assert seen == [0, 1]


def test_the_board_is_refused_in_a_tenant_context(garage: Garage) -> None:
    _, token = create(garage)
    digest = hashlib.sha256(token.encode()).digest()
    with pytest.raises(Problem) as refused:
        garage.one(garage.admin_id, "SELECT parkshare.board_view(%s)", (digest,))
    assert problem_code(refused.value) == "forbidden"
