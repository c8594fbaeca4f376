from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import DictRow

from parkshare.migrate import MigrationError, migrate, schema_dump
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


def test_migrating_from_scratch_twice_gives_the_same_schema(
    empty_database: TestDb, database: TestDb
) -> None:
    migrate(empty_database.admin_url)
    assert schema_dump(empty_database.admin_url) == schema_dump(database.admin_url)
