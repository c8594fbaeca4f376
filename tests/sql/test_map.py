"""The garage map in PostgreSQL: a level's plan is a PNG, JPEG or WebP of at most 2 MiB,
known by its first bytes (never by a claimed type); a spot's position is a fraction of the
plan in [0, 1]; only an admin draws the map; any resident reads it, and only their own
building's."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
import pytest

from parkshare.problems import Problem
from parkshare.store.db import admin_connect
from tests.conftest import TestDb
from tests.images import GIF, MIB, SVG, jpeg, png, png_of_size, webp
from tests.support import Garage

SET_PLAN = "SELECT parkshare.set_level_plan(%s, %s) AS plan"
REMOVE_PLAN = "SELECT parkshare.remove_level_plan(%s)"
PLACE = "SELECT parkshare.place_spot(%s, %s, %s::numeric, %s::numeric) AS position"
UNPLACE = "SELECT parkshare.unplace_spot(%s)"
MAP = "SELECT parkshare.garage_map() AS map"
PLAN = "SELECT * FROM parkshare.level_plan(%s)"


def code_of(g: Garage, user: UUID, query: str, params: tuple[Any, ...]) -> str:
    with pytest.raises(Problem) as caught:
        g.call(user, query, params)
    return caught.value.code


def test_png_jpeg_and_webp_are_stored_with_the_type_their_bytes_say(garage: Garage) -> None:
    for level, image, media_type in (
        ("P1", png(), "image/png"),
        ("P2", jpeg(), "image/jpeg"),
        ("P3", webp(), "image/webp"),
    ):
        plan = garage.one(garage.admin_id, SET_PLAN, (level, image))["plan"]
        assert plan["media_type"] == media_type
        stored = garage.one(garage.admin_id, PLAN, (level,))
        assert (stored["media_type"], bytes(stored["image"])) == (media_type, image)
        assert stored["version"] == plan["version"]


def test_svg_gif_and_empty_images_are_refused(garage: Garage) -> None:
    for image in (SVG, GIF, b"", b"\x89PNG", b"RIFF\x00\x00\x00\x00WAVE"):
        assert code_of(garage, garage.admin_id, SET_PLAN, ("P1", image)) == "invalid_image"


def test_a_plan_of_2_mib_is_kept_and_one_byte_more_refused(garage: Garage) -> None:
    garage.one(garage.admin_id, SET_PLAN, ("P1", png_of_size(2 * MIB)))
    assert code_of(garage, garage.admin_id, SET_PLAN, ("P1", png_of_size(2 * MIB + 1))) == (
        "image_too_large"
    )


def test_the_table_itself_refuses_a_type_its_bytes_do_not_say(garage: Garage) -> None:
    # Even the owner, writing the row directly, cannot call an SVG a PNG, nor store 2 MiB + 1.
    with admin_connect(garage.db.admin_url) as admin:
        for media_type, image, constraint in (
            ("image/png", SVG, "level_plans_image_type"),
            ("image/jpeg", png(), "level_plans_image_type"),
            ("image/svg+xml", SVG, "level_plans_image_type"),
            ("image/gif", GIF, "level_plans_image_type"),
            ("image/png", png_of_size(2 * MIB + 1), "level_plans_image_size"),
        ):
            with pytest.raises(psycopg.errors.CheckViolation) as caught, admin.transaction():
                admin.execute(
                    "INSERT INTO parkshare.level_plans (building_id, level, image, media_type)"
                    " VALUES (%s, 'P1', %s, %s)",
                    (garage.building_id, image, media_type),
                )
            assert caught.value.diag.constraint_name == constraint


def test_a_new_image_replaces_the_old_and_changes_the_version(garage: Garage) -> None:
    first = garage.one(garage.admin_id, SET_PLAN, ("P1", png()))["plan"]
    second = garage.one(garage.admin_id, SET_PLAN, ("P1", jpeg()))["plan"]
    assert second["version"] != first["version"]
    levels = garage.one(garage.admin_id, MAP)["map"]["levels"]
    assert [(lv["level"], lv["media_type"]) for lv in levels] == [("P1", "image/jpeg")]


def test_a_level_name_is_1_to_60_visible_characters_without_a_slash(garage: Garage) -> None:
    garage.one(garage.admin_id, SET_PLAN, ("x" * 60, png()))
    for level in ("", "x" * 61, " P1", "P1 ", "P\n1", "P/1"):
        assert code_of(garage, garage.admin_id, SET_PLAN, (level, png())) == "invalid_request"


def test_only_an_admin_draws_the_map(garage: Garage) -> None:
    resident = garage.user("Resident")
    spot = garage.spot(resident)
    garage.one(garage.admin_id, SET_PLAN, ("P1", png()))
    for query, params in (
        (SET_PLAN, ("P1", png())),
        (REMOVE_PLAN, ("P1",)),
        (PLACE, (spot, "P1", 0.5, 0.5)),
        (UNPLACE, (spot,)),
    ):
        assert code_of(garage, resident, query, params) == "forbidden"


def test_positions_are_fractions_of_the_plan(garage: Garage) -> None:
    owner = garage.user("Owner")
    spot = garage.spot(owner)
    garage.one(garage.admin_id, SET_PLAN, ("P1", png()))
    for x, y in ((0, 0), (1, 1), (0.25, 0.75)):
        placed = garage.one(garage.admin_id, PLACE, (spot, "P1", x, y))["position"]
        assert (placed["x"], placed["y"]) == (x, y)
    for x, y in ((-0.01, 0.5), (0.5, 1.01), (2, 2), (float("nan"), 0.5)):
        assert code_of(garage, garage.admin_id, PLACE, (spot, "P1", x, y)) == "invalid_position"


def test_placing_needs_a_spot_and_a_plan_of_the_building(garage: Garage) -> None:
    owner = garage.user("Owner")
    spot = garage.spot(owner)
    garage.one(garage.admin_id, SET_PLAN, ("P1", png()))
    assert code_of(garage, garage.admin_id, PLACE, (owner, "P1", 0.5, 0.5)) == "spot_not_found"
    assert code_of(garage, garage.admin_id, PLACE, (spot, "P9", 0.5, 0.5)) == "level_not_found"
    assert code_of(garage, garage.admin_id, UNPLACE, (owner,)) == "spot_not_found"
    assert code_of(garage, garage.admin_id, REMOVE_PLAN, ("P9",)) == "level_not_found"
    assert code_of(garage, garage.admin_id, PLAN, ("P9",)) == "level_not_found"


def test_the_map_lists_levels_and_positions_and_removing_a_plan_unplaces_its_spots(
    garage: Garage,
) -> None:
    owner = garage.user("Owner")
    a, b = garage.spot(owner, "A-1"), garage.spot(owner, "B-1")
    garage.one(garage.admin_id, SET_PLAN, ("P1", png()))
    garage.one(garage.admin_id, SET_PLAN, ("P2", webp()))
    garage.one(garage.admin_id, PLACE, (a, "P1", 0.1, 0.2))
    garage.one(garage.admin_id, PLACE, (b, "P2", 0.3, 0.4))
    seen = garage.one(owner, MAP)["map"]
    assert [lv["level"] for lv in seen["levels"]] == ["P1", "P2"]
    assert {p["spot_id"]: (p["level"], p["x"], p["y"]) for p in seen["positions"]} == {
        str(a): ("P1", 0.1, 0.2),
        str(b): ("P2", 0.3, 0.4),
    }
    garage.call(garage.admin_id, UNPLACE, (a,))
    garage.call(garage.admin_id, REMOVE_PLAN, ("P2",))
    seen = garage.one(owner, MAP)["map"]
    assert [lv["level"] for lv in seen["levels"]] == ["P1"]
    assert seen["positions"] == []
    with admin_connect(garage.db.admin_url) as admin:
        row = admin.execute(
            "SELECT array_agg(action ORDER BY id) AS a FROM parkshare.audit_log"
            " WHERE building_id = %s AND action LIKE 'admin.level_plan%%'",
            (garage.building_id,),
        ).fetchone()
    assert row is not None
    actions = row["a"]
    assert actions == ["admin.level_plan_set"] * 2 + ["admin.level_plan_removed"]


def test_another_building_sees_nothing_of_the_map(database: TestDb, garage: Garage) -> None:
    spot = garage.spot(garage.user("Owner"))
    garage.one(garage.admin_id, SET_PLAN, ("P1", png()))
    garage.one(garage.admin_id, PLACE, (spot, "P1", 0.5, 0.5))
    other = Garage.create(database)
    try:
        assert other.one(other.admin_id, MAP)["map"] == {"levels": [], "positions": []}
        assert code_of(other, other.admin_id, PLAN, ("P1",)) == "level_not_found"
        assert code_of(other, other.admin_id, PLACE, (spot, "P1", 0.5, 0.5)) == "spot_not_found"
        # Read directly, the tables under row-level security show only the caller's building.
        for table in ("level_plans", "spot_positions"):
            rows = other.call(other.admin_id, f"SELECT * FROM parkshare.{table}")
            assert rows == []
            mine = garage.call(garage.admin_id, f"SELECT building_id FROM parkshare.{table}")
            assert [r["building_id"] for r in mine] == [garage.building_id]
        # Nor can it write a row for the other building.
        with pytest.raises(Problem):
            other.call(
                other.admin_id,
                "INSERT INTO parkshare.level_plans (building_id, level, image, media_type)"
                " VALUES (%s, 'P2', %s, 'image/png')",
                (garage.building_id, png()),
            )
    finally:
        other.close()
