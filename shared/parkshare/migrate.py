"""Schema migrations: plain SQL files applied in order, recorded with their checksums.

Why this and not a framework: the schema is plain SQL (procedures, policies, constraints)
that no ORM models, so a runner needs only to apply files once, in order, each in its own
transaction. Migrations are append-only: the sha256 of every applied file is recorded and a
later change to it is an error, so every database, from scratch or long-lived, walks the
same path. Files under `repeatable/` (the error list, helpers meant to be redefined) are
re-applied whenever their checksum changes. One advisory lock serializes concurrent
migrators (several replicas starting at once). Migration files must not contain their own
BEGIN/COMMIT: the runner owns the transaction and sets the owning role in it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from parkshare.paths import sql_dir

# Any constant works as long as every migrator uses the same one; this spells "pkshare".
_LOCK_KEY = 0x706B7368617265
_MIGRATION_NAME = re.compile(r"^\d{4}_[a-z0-9_]+\.sql$")
_OWNER = sql.SQL("SET LOCAL ROLE parkshare_owner")


class MigrationError(Exception):
    pass


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def migration_files(sql_root: Path) -> list[Path]:
    folder = sql_root / "migrations"
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.suffix == ".sql")
    for path in files:
        if not _MIGRATION_NAME.match(path.name):
            raise MigrationError(f"{path.name}: migration files are named NNNN_description.sql")
    return files


def migrate(
    admin_url: str, *, sql_root: Path | None = None, app_password: str | None = None
) -> list[str]:
    """Apply what is pending and return the names applied, in order."""
    root = sql_root if sql_root is not None else sql_dir()
    applied_now: list[str] = []
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            with conn.transaction():
                conn.execute((root / "bootstrap.sql").read_bytes())
                conn.execute(_OWNER)
                conn.execute(
                    """
                    CREATE TABLE IF NOT EXISTS parkshare.schema_migrations (
                        name text PRIMARY KEY,
                        checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """
                )
            recorded = _recorded(conn)

            for path in migration_files(root):
                digest = checksum(path)
                if path.name in recorded:
                    if recorded.pop(path.name) != digest:
                        raise MigrationError(
                            f"{path.name} changed after it was applied; migrations are "
                            "append-only: restore it and add a new migration instead"
                        )
                    continue
                _apply(conn, path, path.name, digest)
                applied_now.append(path.name)

            missing = sorted(n for n in recorded if not n.startswith("repeatable/"))
            if missing:
                raise MigrationError(f"applied migrations missing from disk: {', '.join(missing)}")

            repeatable = root / "repeatable"
            files = sorted(repeatable.glob("*.sql")) if repeatable.is_dir() else []
            for path in files:
                name = f"repeatable/{path.name}"
                digest = checksum(path)
                if recorded.get(name) != digest:
                    _apply(conn, path, name, digest)
                    applied_now.append(name)

            if app_password:
                conn.execute(
                    sql.SQL("ALTER ROLE parkshare_app PASSWORD {}").format(
                        sql.Literal(app_password)
                    )
                )
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied_now


def _recorded(conn: psycopg.Connection[TupleRow]) -> dict[str, str]:
    rows = conn.execute("SELECT name, checksum FROM parkshare.schema_migrations").fetchall()
    return {name: digest for name, digest in rows}


def _apply(conn: psycopg.Connection[TupleRow], path: Path, name: str, digest: str) -> None:
    try:
        with conn.transaction():
            conn.execute(_OWNER)
            conn.execute(path.read_bytes())
            conn.execute(
                """
                INSERT INTO parkshare.schema_migrations (name, checksum) VALUES (%s, %s)
                ON CONFLICT (name) DO UPDATE
                    SET checksum = excluded.checksum, applied_at = now()
                """,
                (name, digest),
            )
    except psycopg.Error as exc:
        raise MigrationError(f"{name}: {exc.sqlstate or ''} {exc}".strip()) from exc


_DUMP_QUERIES: tuple[tuple[str, sql.SQL], ...] = (
    (
        "relations",
        sql.SQL(
            """
            SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner),
                   c.relrowsecurity, c.relforcerowsecurity, c.relacl::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'parkshare' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
            ORDER BY c.relname
            """
        ),
    ),
    (
        "columns",
        sql.SQL(
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE n.nspname = 'parkshare' AND a.attnum > 0 AND NOT a.attisdropped
              AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            ORDER BY c.relname, a.attname
            """
        ),
    ),
    (
        "views",
        sql.SQL(
            """
            SELECT c.relname, pg_get_viewdef(c.oid, true)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'parkshare' AND c.relkind IN ('v', 'm')
            ORDER BY c.relname
            """
        ),
    ),
    (
        "types",
        sql.SQL(
            """
            SELECT t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod),
                   (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                    FROM pg_enum e WHERE e.enumtypid = t.oid)
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = 'parkshare' AND t.typtype IN ('e', 'd', 'r', 'c')
              AND NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')
            ORDER BY t.typname
            """
        ),
    ),
    (
        "constraints",
        sql.SQL(
            """
            SELECT coalesce(c.relname, t.typname), con.conname, pg_get_constraintdef(con.oid)
            FROM pg_constraint con
            JOIN pg_namespace n ON n.oid = con.connamespace
            LEFT JOIN pg_class c ON c.oid = con.conrelid
            LEFT JOIN pg_type t ON t.oid = con.contypid
            WHERE n.nspname = 'parkshare'
            ORDER BY 1, 2
            """
        ),
    ),
    (
        "indexes",
        sql.SQL(
            """
            SELECT tablename, indexname, indexdef FROM pg_indexes
            WHERE schemaname = 'parkshare' ORDER BY tablename, indexname
            """
        ),
    ),
    (
        "functions",
        sql.SQL(
            """
            SELECT p.proname, pg_get_function_identity_arguments(p.oid),
                   pg_get_userbyid(p.proowner), p.proacl::text, pg_get_functiondef(p.oid)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'parkshare' AND p.prokind IN ('f', 'p')
            ORDER BY 1, 2
            """
        ),
    ),
    (
        "policies",
        sql.SQL(
            """
            SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check
            FROM pg_policies WHERE schemaname = 'parkshare' ORDER BY tablename, policyname
            """
        ),
    ),
    (
        "triggers",
        sql.SQL(
            """
            SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid, true)
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'parkshare' AND NOT t.tgisinternal
            ORDER BY c.relname, t.tgname
            """
        ),
    ),
)


def schema_dump(admin_url: str) -> str:
    """A deterministic text description of schema parkshare, for comparing two databases.

    Migration checksums are left out on purpose: the point is to compare what the
    migrations produce, not how they were recorded.
    """
    lines: list[str] = []
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for title, query in _DUMP_QUERIES:
            lines.append(f"-- {title}")
            for row in conn.execute(query).fetchall():
                lines.append(" | ".join("" if value is None else str(value) for value in row))
    return "\n".join(lines) + "\n"
