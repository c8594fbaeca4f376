"""Schema migrations: plain SQL files applied in order, recorded with their checksums.

Why this and not a framework: the schema is plain SQL (procedures, policies, constraints)
that no ORM models, so a runner needs only to apply files once, in order, each in its own
transaction. The layout (sql/README.md):

- `bootstrap.sql` (roles, the schema, extensions) runs first, every time;
- `foundation.sql`, the pure helpers the schema itself is built with (the tenant context,
  the checks' functions, the tenancy helper), is applied before the migrations whenever
  it changed;
- `migrations/NNNN_*.sql` hold tables, constraints, indexes, policies, drops and signature
  changes. They are append-only: the sha256 of every applied file is recorded and a later
  change to it is an error, so every database, from scratch or long-lived, walks the same
  path. (`migrations/squashed.txt` names the first release's files that 0001 replaced.)
- `repeatable/*.sql` hold the one current definition of every function, view and trigger
  (`CREATE OR REPLACE`). All of them are applied again, in name order and in one
  transaction, whenever one of them changed or a migration was applied: a migration may have
  dropped what one defines. The first pass runs without checking SQL function bodies (they
  may call functions of a later file), the second with.

One advisory lock serializes concurrent migrators (several replicas starting at once).
Migration files must not contain their own BEGIN/COMMIT: the runner owns the transaction
and sets the owning role in it.
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
FOUNDATION = "foundation.sql"
REPEATABLE = "repeatable/"


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


def repeatable_files(sql_root: Path) -> list[Path]:
    folder = sql_root / "repeatable"
    return sorted(folder.glob("*.sql")) if folder.is_dir() else []


def squashed(sql_root: Path) -> dict[str, str]:
    """The files (name -> checksum) of an older history that `migrations/0001_*` replaced."""
    path = sql_root / "migrations" / "squashed.txt"
    if not path.is_file():
        return {}
    pairs = (line.split() for line in path.read_text().splitlines())
    return {p[0]: p[1] for p in pairs if len(p) == 2 and not p[0].startswith("#")}


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
            _accept_squashed(conn, root, recorded)

            foundation = root / FOUNDATION
            if foundation.is_file() and recorded.get(FOUNDATION) != checksum(foundation):
                _apply(conn, [foundation], [FOUNDATION])
                applied_now.append(FOUNDATION)

            for path in migration_files(root):
                digest = checksum(path)
                if path.name in recorded:
                    if recorded.pop(path.name) != digest:
                        raise MigrationError(
                            f"{path.name} changed after it was applied; migrations are "
                            "append-only: restore it and add a new migration instead"
                        )
                    continue
                _apply(conn, [path], [path.name])
                applied_now.append(path.name)

            missing = sorted(
                n for n in recorded if not n.startswith(REPEATABLE) and n != FOUNDATION
            )
            if missing:
                raise MigrationError(f"applied migrations missing from disk: {', '.join(missing)}")

            files = repeatable_files(root)
            names = [REPEATABLE + p.name for p in files]
            if applied_now or any(
                recorded.get(n) != checksum(p) for n, p in zip(names, files, strict=True)
            ):
                _apply(conn, files, names, passes=2)
                applied_now += names

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


def _accept_squashed(
    conn: psycopg.Connection[TupleRow], root: Path, recorded: dict[str, str]
) -> None:
    """A database migrated with the squashed history has the baseline's schema: record the
    baseline as applied in their place. Part of that history is not enough."""
    history = squashed(root)
    present = {name for name in history if recorded.get(name) == history[name]}
    if not present:
        return
    if present != history.keys():
        raise MigrationError(
            "this database stopped part-way through the first release's migrations "
            f"(it lacks {', '.join(sorted(history.keys() - present))}): migrate it with "
            "parkshare 0.1 first"
        )
    baseline = next(p for p in migration_files(root) if p.name.startswith("0001_"))
    with conn.transaction():
        conn.execute(_OWNER)
        conn.execute(
            "DELETE FROM parkshare.schema_migrations WHERE name = ANY(%s)", (list(history),)
        )
        _record(conn, baseline.name, checksum(baseline))
    for name in history:
        del recorded[name]
    recorded[baseline.name] = checksum(baseline)


def _record(conn: psycopg.Connection[TupleRow], name: str, digest: str) -> None:
    conn.execute(
        """
        INSERT INTO parkshare.schema_migrations (name, checksum) VALUES (%s, %s)
        ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()
        """,
        (name, digest),
    )


def _apply(
    conn: psycopg.Connection[TupleRow], paths: list[Path], names: list[str], passes: int = 1
) -> None:
    """Apply `paths` in one transaction as the owner, recording each under its name."""
    current = ""
    try:
        with conn.transaction():
            conn.execute(_OWNER)
            for run in range(passes):
                if passes > 1:
                    check = "off" if run == 0 else "on"
                    conn.execute(f"SET LOCAL check_function_bodies = {check}")
                for path, name in zip(paths, names, strict=True):
                    current = name
                    conn.execute(path.read_bytes())
            for path, name in zip(paths, names, strict=True):
                _record(conn, name, checksum(path))
    except psycopg.Error as exc:
        raise MigrationError(f"{current}: {exc.sqlstate or ''} {exc}".strip()) from exc
