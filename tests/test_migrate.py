from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import DictRow

from parkshare.store import schema
from parkshare.store.migrate import MigrationError, migrate, squashed
from tests.conftest import TestDb


def _sql_tree(root: Path, repo_sql_dir: Path, migrations: dict[str, str]) -> Path:
    (root / "migrations").mkdir(parents=True)
    shutil.copy(repo_sql_dir / "bootstrap.sql", root / "bootstrap.sql")
    for name, body in migrations.items():
        (root / "migrations" / name).write_text(body)
    return root


def test_second_migrate_applies_nothing(database: TestDb) -> None:
    assert migrate(database.admin_url) == []


def test_runner_applies_in_order_once_and_records_checksums(
    empty_database: TestDb, tmp_path: Path, repo_sql_dir: Path
) -> None:
    root = _sql_tree(
        tmp_path,
        repo_sql_dir,
        {
            "0002_b.sql": "ALTER TABLE parkshare.t ADD COLUMN b int;",
            "0001_a.sql": "CREATE TABLE parkshare.t (a int);",
        },
    )
    (root / "repeatable").mkdir()
    (root / "repeatable" / "f.sql").write_text(
        "CREATE OR REPLACE FUNCTION parkshare.f() RETURNS int LANGUAGE sql AS 'SELECT 1';"
    )

    assert migrate(empty_database.admin_url, sql_root=root) == [
        "0001_a.sql",
        "0002_b.sql",
        "repeatable/f.sql",
    ]
    assert migrate(empty_database.admin_url, sql_root=root) == []

    (root / "repeatable" / "f.sql").write_text(
        "CREATE OR REPLACE FUNCTION parkshare.f() RETURNS int LANGUAGE sql AS 'SELECT 2';"
    )
    assert migrate(empty_database.admin_url, sql_root=root) == ["repeatable/f.sql"]

    with psycopg.connect(empty_database.admin_url) as conn:
        owner = conn.execute(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'parkshare.t'::regclass"
        ).fetchone()
    assert owner == ("parkshare_owner",)


def test_changed_applied_migration_is_refused(
    empty_database: TestDb, tmp_path: Path, repo_sql_dir: Path
) -> None:
    root = _sql_tree(tmp_path, repo_sql_dir, {"0001_a.sql": "CREATE TABLE parkshare.t (a int);"})
    migrate(empty_database.admin_url, sql_root=root)

    (root / "migrations" / "0001_a.sql").write_text("CREATE TABLE parkshare.t (a bigint);")
    with pytest.raises(MigrationError, match="append-only"):
        migrate(empty_database.admin_url, sql_root=root)


def test_failed_migration_leaves_nothing_applied(
    empty_database: TestDb, tmp_path: Path, repo_sql_dir: Path
) -> None:
    root = _sql_tree(
        tmp_path,
        repo_sql_dir,
        {"0001_a.sql": "CREATE TABLE parkshare.t (a int); SELECT 1/0;"},
    )
    with pytest.raises(MigrationError, match=r"0001_a\.sql"):
        migrate(empty_database.admin_url, sql_root=root)
    with psycopg.connect(empty_database.admin_url) as conn:
        assert conn.execute("SELECT to_regclass('parkshare.t')").fetchone() == (None,)
        assert conn.execute("SELECT count(*) FROM parkshare.schema_migrations").fetchone() == (0,)


def test_app_role_has_no_privilege_beyond_its_grants(
    admin_conn: psycopg.Connection[DictRow],
) -> None:
    role = admin_conn.execute(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin"
        " FROM pg_roles WHERE rolname = 'parkshare_app'"
    ).fetchone()
    assert role == {
        "rolsuper": False,
        "rolbypassrls": False,
        "rolcreaterole": False,
        "rolcreatedb": False,
        "rolcanlogin": True,
    }
    owned = admin_conn.execute(
        """
        SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)
             + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)
             + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)
             + (SELECT count(*) FROM pg_type WHERE typowner = r.oid) AS n
        FROM pg_roles r WHERE r.rolname = 'parkshare_app'
        """
    ).fetchone()
    assert owned == {"n": 0}


def test_a_database_built_from_sql_matches_the_checked_in_snapshot(
    empty_database: TestDb, repo_sql_dir: Path
) -> None:
    migrate(empty_database.admin_url)
    built = schema.snapshot(empty_database.admin_url)
    expected = schema.snapshot_file(repo_sql_dir).read_text(encoding="utf-8")
    assert schema.drift(expected, built) == "", "run `parkshare schema` and review the diff"


def test_a_hand_edited_migration_shows_as_drift(
    empty_database: TestDb, tmp_path: Path, repo_sql_dir: Path
) -> None:
    tree = tmp_path / "sql"
    shutil.copytree(repo_sql_dir, tree)
    baseline = tree / "migrations" / "0001_schema.sql"
    baseline.write_text(
        baseline.read_text().replace(
            "    notes       text CONSTRAINT spots_notes_valid",
            "    colour      text,\n    notes       text CONSTRAINT spots_notes_valid",
        )
    )
    migrate(empty_database.admin_url, sql_root=tree)
    difference = schema.drift(
        schema.snapshot_file(repo_sql_dir).read_text(encoding="utf-8"),
        schema.snapshot(empty_database.admin_url),
    )
    assert "+spots.colour | text" in difference


def test_a_changed_procedure_shows_as_drift(
    empty_database: TestDb, tmp_path: Path, repo_sql_dir: Path
) -> None:
    tree = tmp_path / "sql"
    shutil.copytree(repo_sql_dir, tree)
    procedures = tree / "repeatable" / "reservations.sql"
    text = procedures.read_text()
    edited = text.replace("only the owner changes when", "only its owner changes when")
    assert edited != text
    procedures.write_text(edited)
    migrate(empty_database.admin_url, sql_root=tree)
    difference = schema.drift(
        schema.snapshot_file(repo_sql_dir).read_text(encoding="utf-8"),
        schema.snapshot(empty_database.admin_url),
    )
    assert "\n-set_availability(" in difference and "\n+set_availability(" in difference


def test_a_database_of_the_squashed_history_is_recorded_as_the_baseline(
    database: TestDb, repo_sql_dir: Path
) -> None:
    """What the first release recorded (0001-0011 with their checksums) is taken as the
    baseline: nothing is applied again and the records name today's files."""
    history = squashed(repo_sql_dir)
    with psycopg.connect(database.admin_url, autocommit=True) as conn:
        conn.execute("DELETE FROM parkshare.schema_migrations WHERE name = '0001_schema.sql'")
        for name, digest in history.items():
            conn.execute(
                "INSERT INTO parkshare.schema_migrations (name, checksum) VALUES (%s, %s)",
                (name, digest),
            )
    assert migrate(database.admin_url) == []
    with psycopg.connect(database.admin_url) as conn:
        names = {n for (n,) in conn.execute("SELECT name FROM parkshare.schema_migrations")}
    assert "0001_schema.sql" in names and not names & (history.keys() - {"0001_schema.sql"})


def test_part_of_the_squashed_history_is_refused(database: TestDb, repo_sql_dir: Path) -> None:
    history = squashed(repo_sql_dir)
    with psycopg.connect(database.admin_url, autocommit=True) as conn:
        conn.execute("DELETE FROM parkshare.schema_migrations WHERE name = '0001_schema.sql'")
        for name in sorted(history)[:7]:
            conn.execute(
                "INSERT INTO parkshare.schema_migrations (name, checksum) VALUES (%s, %s)",
                (name, history[name]),
            )
    with pytest.raises(MigrationError, match="part-way"):
        migrate(database.admin_url)


def test_repeatable_files_may_call_functions_of_later_files(
    empty_database: TestDb, tmp_path: Path, repo_sql_dir: Path
) -> None:
    root = _sql_tree(tmp_path, repo_sql_dir, {})
    (root / "repeatable").mkdir()
    (root / "repeatable" / "a.sql").write_text(
        "CREATE OR REPLACE FUNCTION parkshare.a() RETURNS int LANGUAGE sql"
        " AS 'SELECT parkshare.b() + 1';"
    )
    (root / "repeatable" / "b.sql").write_text(
        "CREATE OR REPLACE FUNCTION parkshare.b() RETURNS int LANGUAGE sql AS 'SELECT 1';"
    )
    migrate(empty_database.admin_url, sql_root=root)
    with psycopg.connect(empty_database.admin_url) as conn:
        assert conn.execute("SELECT parkshare.a()").fetchone() == (2,)


def test_a_broken_repeatable_file_is_still_refused(
    empty_database: TestDb, tmp_path: Path, repo_sql_dir: Path
) -> None:
    """The first pass does not check SQL bodies; the second does."""
    root = _sql_tree(tmp_path, repo_sql_dir, {})
    (root / "repeatable").mkdir()
    (root / "repeatable" / "a.sql").write_text(
        "CREATE OR REPLACE FUNCTION parkshare.a() RETURNS int LANGUAGE sql"
        " AS 'SELECT parkshare.nowhere()';"
    )
    with pytest.raises(MigrationError, match=r"repeatable/a\.sql"):
        migrate(empty_database.admin_url, sql_root=root)
