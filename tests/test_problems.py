"""The error vocabulary: SQL and Python read one list, and every entry of it is real."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from parkshare.problems import CODES, CONSTRAINTS, SQLSTATES, Problem
from tests.conftest import TestDb

SPEC_CODES = {
    "invalid_credentials",
    "rate_limited",
    "invalid_token",
    "invalid_invite",
    "email_taken",
    "invalid_request",
    "forbidden",
    "label_taken",
    "not_owner",
    "spot_not_found",
    "has_reservations",
    "invalid_window",
    "own_spot",
    "spot_unavailable",
    "spot_taken",
    "overlapping_reservation",
    "insufficient_credits",
    "reservation_not_found",
    "not_yours",
    "already_started",
}


def test_every_code_of_the_contract_is_known_with_its_status() -> None:
    assert CODES.keys() >= SPEC_CODES
    assert CODES["insufficient_credits"].status == 402
    assert CODES["own_spot"].status == 403
    assert CODES["invalid_invite"].status == 400
    assert CODES["spot_taken"].status == 409


def test_every_code_a_procedure_raises_is_in_the_vocabulary(repo_sql_dir: Path) -> None:
    raised = set()
    for path in repo_sql_dir.rglob("*.sql"):
        raised |= set(re.findall(r"ps_raise\(\s*'([a-z_]+)'", path.read_text()))
    assert raised, "no ps_raise call found: the pattern is stale"
    assert raised <= {e.code for e in SQLSTATES.values()}


def test_every_mapped_constraint_exists_in_the_schema(database: TestDb) -> None:
    with psycopg.connect(database.admin_url) as conn:
        names = {
            row[0]
            for row in conn.execute(
                "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
                " WHERE n.nspname = 'parkshare'"
                " UNION SELECT indexname FROM pg_indexes WHERE schemaname = 'parkshare'"
            )
        }
    assert set(CONSTRAINTS) <= names


def test_the_vocabulary_is_loaded_into_the_database(database: TestDb) -> None:
    with psycopg.connect(database.admin_url) as conn:
        rows = conn.execute("SELECT sqlstate, code, status FROM parkshare.error_codes").fetchall()
    assert {(s, c, st) for s, c, st in rows} == {
        (s, e.code, e.status) for s, e in SQLSTATES.items()
    }


def test_a_problem_renders_the_contract_shape() -> None:
    body = Problem("spot_taken", "B2-17 is booked 08:00-10:00").as_dict()
    assert body == {
        "type": "urn:parkshare:problem:spot_taken",
        "title": CODES["spot_taken"].title,
        "status": 409,
        "detail": "B2-17 is booked 08:00-10:00",
        "code": "spot_taken",
    }
