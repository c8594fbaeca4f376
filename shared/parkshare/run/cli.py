"""The `parkshare` command: what has no API (migrations, buildings, the demo, local dev)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated, NoReturn
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
import typer
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import DictRow

from parkshare.config import Settings, get_settings
from parkshare.identity.passwords import hash_password, weakness
from parkshare.run.serve import Unconfigured, require
from parkshare.store.db import admin_connect, set_context
from parkshare.store.embedded import Urls, resolve_urls
from parkshare.store.migrate import MigrationError, migrate

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "web" / "schema.graphql"
OPENAPI_FILE = SCHEMA_FILE.with_name("openapi.json")

app = typer.Typer(
    help="parkshare: residents of a building share their parking spots.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEMO_BUILDING = "Demo Residence"
DEMO_TIMEZONE = "Europe/Paris"
DEMO_DOMAIN = "demo.parkshare.test"
DEMO_PASSWORD = "parkshare-demo"
DEMO_DAYS = 14
DEMO_RESIDENTS = ("alice", "bob", "carol", "dave")


class CliError(Exception):
    """An expected failure: reported as one line, exit status 1, no traceback."""


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _describe(exc: Exception) -> str:
    if isinstance(exc, psycopg.Error):
        diag = exc.diag
        message = diag.message_primary or str(exc).strip().splitlines()[0]
        detail = f": {diag.message_detail}" if diag.message_detail else ""
        code = f" [{exc.sqlstate}]" if exc.sqlstate else ""
        return f"{message}{detail}{code}"
    return str(exc)


def _urls(settings: Settings) -> Urls:
    return resolve_urls(settings)


def _migrate(settings: Settings, urls: Urls) -> list[str]:
    password = settings.app_db_password
    return migrate(
        urls.admin_database_url,
        app_password=password.get_secret_value() if password is not None else None,
    )


@app.command("migrate")
def migrate_command() -> None:
    """Apply pending migrations (idempotent)."""
    settings = get_settings()
    with _expected_errors():
        require(settings, "database")
        applied = _migrate(settings, _urls(settings))
    if not applied:
        typer.echo("up to date")
    for name in applied:
        typer.echo(f"applied {name}")


@app.command("create-building")
def create_building_command(
    name: Annotated[str, typer.Option(help="Name of the building.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone, e.g. Europe/Paris.")],
    admin_email: Annotated[str, typer.Option(help="Email of the building's first admin.")],
    admin_password: Annotated[str, typer.Option(help="Password of that admin.")],
    admin_name: Annotated[str, typer.Option(help="Display name of that admin.")] = "Admin",
) -> None:
    """Create a building and its first admin; print their ids as one JSON line."""
    settings = get_settings()
    reason = weakness(admin_password, admin_email)
    if reason is not None:
        _fail(f"choose another admin password: {reason}")
    with _expected_errors(), admin_connect(_urls(settings).admin_database_url) as conn:
        building_id, admin_id = _create_building(
            conn, name, timezone, admin_email, admin_password, admin_name
        )
    typer.echo(json.dumps({"building_id": str(building_id), "admin_id": str(admin_id)}))


@app.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo building with residents, spots and availability (idempotent)."""
    settings = get_settings()
    with _expected_errors():
        created = seed_demo(_urls(settings))
    typer.echo("demo building created" if created else "demo building already seeded")
    _print_logins(settings)


@app.command("worker")
def worker_command(
    burst: Annotated[
        bool, typer.Option(help="Run what is due (and one sweep), then exit.")
    ] = False,
) -> None:
    """Run the worker: scheduled starts and ends, settlement, the outbox sweep."""
    from parkshare import logs, metrics
    from parkshare.live.jobs import run_worker

    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    with _expected_errors():
        require(settings, "database", "redis")
        urls = _urls(settings)
    _export(urls)
    if settings.worker_metrics_port:
        from parkshare.live import schedule

        metrics.serve_worker_metrics(settings.worker_metrics_port, schedule.queue)
    run_worker(burst=burst)


@app.command("serve")
def serve_command(
    target: Annotated[
        str, typer.Option(envvar="FUNCTION_TARGET", help="The function's entry point.")
    ],
    source: Annotated[
        str | None, typer.Option(envvar="FUNCTION_SOURCE", help="Its main.py.")
    ] = None,
    signature_type: Annotated[str, typer.Option(envvar="FUNCTION_SIGNATURE_TYPE")] = "http",
    host: Annotated[str, typer.Option(envvar="HOST", help="Address to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8080,
) -> None:
    """Serve one function on its own port, as functions-framework --asgi does (containers)."""
    from parkshare.run.serve import serve_function

    with _expected_errors():
        serve_function(target, source, signature_type, host, port)


@app.command("relay")
def relay_command(
    host: Annotated[str, typer.Option(envvar="HOST", help="Address to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8080,
) -> None:
    """Serve the relay (/ws) alone (containers)."""
    from parkshare.run.serve import serve_relay

    with _expected_errors():
        serve_relay(host, port)


@app.command("web")
def web_command(
    host: Annotated[str, typer.Option(envvar="HOST", help="Address to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8080,
) -> None:
    """Serve the built web app with its config.json (containers)."""
    from parkshare.run.serve import serve_web

    with _expected_errors():
        serve_web(host, port)


def _export(urls: Urls) -> None:
    """Hand the resolved servers to the lazily configured pools and clients (and to child
    processes), so the whole process talks to one PostgreSQL and one Redis."""
    os.environ["DATABASE_URL"] = urls.admin_database_url
    os.environ["PARKSHARE_APP_DATABASE_URL"] = urls.app_database_url
    os.environ["REDIS_URL"] = urls.redis_url
    get_settings.cache_clear()


# The --check of the commands that write a generated file (CI fails when one has drifted).
Check = Annotated[
    bool, typer.Option("--check", help="Only compare; exit 1 if the file has drifted.")
]


@app.command("graphql-schema")
def graphql_schema_command(
    check: Check = False,
    out: Annotated[Path, typer.Option(help="Where the SDL goes.")] = SCHEMA_FILE,
) -> None:
    """Write the GraphQL schema (SDL) for the web app and integrations."""
    from parkshare.gql.view import sdl

    _generated(out, sdl(), check=check, what="the schema", command="graphql-schema")


@app.command("openapi")
def openapi_command(
    check: Check = False,
    out: Annotated[Path, typer.Option(help="Where the document goes.")] = OPENAPI_FILE,
) -> None:
    """Write the OpenAPI document the gateway serves at /openapi.json (the web app's types
    are generated from it)."""
    from parkshare import openapi

    current = json.dumps(openapi.document(), indent=2, ensure_ascii=False) + "\n"
    _generated(out, current, check=check, what="the served document", command="openapi")


def _generated(out: Path, current: str, *, check: bool, what: str, command: str) -> None:
    """Write a generated file, or with `check` only compare it (exit 1 when it has drifted)."""
    if check:
        if not out.is_file() or out.read_text(encoding="utf-8") != current:
            _fail(f"{out} differs from {what}: run `parkshare {command}`")
        typer.echo(f"{out} is up to date")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(current, encoding="utf-8")
    typer.echo(f"wrote {out}")


@app.command("schema")
def schema_command(
    check: Annotated[
        bool,
        typer.Option("--check", help="Only compare; exit 1 if sql/schema.sql has drifted."),
    ] = False,
) -> None:
    """Build a scratch database from sql/ and write its schema to sql/schema.sql."""
    from parkshare.store import schema

    settings = get_settings()
    with _expected_errors():
        built = schema.built(_urls(settings).admin_database_url)
    out = schema.snapshot_file()
    if check:
        expected = out.read_text(encoding="utf-8") if out.is_file() else ""
        difference = schema.drift(expected, built)
        if difference:
            typer.echo(difference, err=True)
            _fail(f"{out} differs from what sql/ builds: run `parkshare schema`")
        typer.echo(f"{out} is up to date")
        return
    out.write_text(built, encoding="utf-8")
    typer.echo(f"wrote {out}")


@app.command("dev")
def dev_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Run parkshare on this machine: servers (embedded unless configured), migrations, the
    demo when the database is empty, and the gateway until Ctrl-C."""
    import uvicorn

    settings = get_settings()
    with _expected_errors():
        urls = _urls(settings)
        for name in _migrate(settings, urls):
            typer.echo(f"applied {name}")
        if not _has_building(urls):
            seed_demo(urls)
        demo = _has_demo(urls)
    _export(urls)
    # The worker is a child process: RQ handles its own signals (and times its jobs out with
    # them), which it can only do on a main thread. It gets the servers resolved here, and a
    # session of its own: Ctrl-C reaches the gateway only, which then stops the worker and
    # its scheduler child as one group, before the embedded servers go.
    worker = subprocess.Popen(
        [sys.executable, "-m", "parkshare.run.cli", "worker"], start_new_session=True
    )
    typer.echo(f"database (app): {_redact(urls.app_database_url)}")
    from parkshare.notify.transports import describe as describe_mail

    typer.echo(describe_mail(settings))
    if demo:
        _print_logins(settings)
    typer.echo(
        f"\nparkshare is up at {_browsable(host, settings.port)}  (API: /docs, Ctrl-C stops)"
    )
    # Our log setup (secrets redacted from every line, JSON when not on a terminal), and no
    # access log of uvicorn's: the functions log each request they answer, with its id.
    from parkshare import logs

    logs.configure(settings.log_format, settings.log_level)
    server = uvicorn.Server(
        uvicorn.Config(
            "parkshare.run.gateway:create_app",
            factory=True,
            host=host,
            port=settings.port,
            log_config=None,
            log_level=settings.log_level.lower(),
            access_log=False,
            lifespan="on",
            # Events are small JSON: compressing each one for each socket costs the relay
            # more CPU than it saves bandwidth (bench-live: p50 4x lower without it).
            ws_per_message_deflate=False,
        )
    )
    # uvicorn turns Ctrl-C and SIGTERM into a graceful shutdown; the worker gets SIGTERM and
    # finishes its job; the embedded servers then stop in their atexit hooks. After its
    # shutdown uvicorn raises the signal again, and SIGTERM's default action would end this
    # process on the spot, leaving the worker and the embedded servers running: exit instead.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        server.run()
    finally:
        _stop(worker)
    typer.echo("stopped")


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _stop(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM to the worker's group (a warm shutdown: the job at hand finishes), SIGKILL
    after `timeout`."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _has_building(urls: Urls) -> bool:
    with admin_connect(urls.admin_database_url) as conn:
        row = conn.execute("SELECT EXISTS (SELECT FROM parkshare.buildings) AS any").fetchone()
    return row is not None and bool(row["any"])


def _has_demo(urls: Urls) -> bool:
    with admin_connect(urls.admin_database_url) as conn:
        row = conn.execute(
            "SELECT EXISTS (SELECT FROM parkshare.buildings WHERE name = %s) AS any",
            (DEMO_BUILDING,),
        ).fetchone()
    return row is not None and bool(row["any"])


def _browsable(host: str, port: int) -> str:
    # A wildcard address is where the server listens, not somewhere a browser can go.
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _redact(url: str) -> str:
    params = conninfo_to_dict(url)
    if params.get("password"):
        params["password"] = "***"
    return make_conninfo("", **params)


@contextmanager
def _expected_errors() -> Iterator[None]:
    """Turn database and migration errors into one line on stderr and exit status 1."""
    try:
        yield
    except (psycopg.Error, MigrationError, CliError, Unconfigured) as exc:
        _fail(_describe(exc))


def _create_building(
    conn: psycopg.Connection[DictRow],
    name: str,
    timezone: str,
    email: str,
    password: str,
    display_name: str,
) -> tuple[UUID, UUID]:
    row = conn.execute(
        "SELECT building_id, admin_id FROM parkshare.create_building(%s, %s, %s, %s, %s)",
        (name, timezone, email, hash_password(password), display_name),
    ).fetchone()
    if row is None:
        raise CliError("create_building returned no row")
    return row["building_id"], row["admin_id"]


@dataclass(frozen=True)
class DemoSpot:
    label: str
    owner: str
    location: str
    notes: str
    schedule: str  # "daytime", "continuous", "nights" or "weekends"


DEMO_SPOTS = (
    DemoSpot("B1-01", "alice", "Level -1, left of the lift", "Compact cars only.", "daytime"),
    DemoSpot("B1-02", "alice", "Level -1, by the ramp", "Wide spot, EV socket.", "continuous"),
    DemoSpot("B1-03", "bob", "Level -1, row B", "Low beam above the bonnet.", "daytime"),
    DemoSpot("B1-04", "bob", "Level -1, row B", "", "nights"),
    DemoSpot("B1-05", "carol", "Level -1, far end", "Next to the bike room.", "continuous"),
    DemoSpot("B1-06", "carol", "Level -1, far end", "Motorbikes welcome.", "weekends"),
)


def demo_windows(
    schedule: str, zone: ZoneInfo, now: datetime, days: int = DEMO_DAYS
) -> Iterator[tuple[datetime, datetime]]:
    """Windows of one demo schedule, from `now` on, with wall-clock times in `zone`.

    Local times are built per calendar day, so a day on which the zone changes its offset
    keeps "07:00-19:00" at 07:00 and 19:00 on the wall clock.
    """
    # From the start of the current hour: a window may begin in the past (only bookings may
    # not), and a spot shared "from now" must count as free for a window starting now.
    start_min = now.replace(minute=0, second=0, microsecond=0)
    today = now.astimezone(zone).date()

    def local(day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=zone)

    def clipped(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        start = max(start, start_min)
        if end > start:
            yield start.astimezone(UTC), end.astimezone(UTC)

    if schedule == "continuous":
        yield from clipped(start_min, local(today + timedelta(days=days), time(0)))
        return
    for offset in range(days):
        day = today + timedelta(days=offset)
        if schedule == "daytime" and day.weekday() < 5:
            yield from clipped(local(day, time(7)), local(day, time(19)))
        elif schedule == "nights":
            yield from clipped(local(day, time(19)), local(day + timedelta(days=1), time(7)))
        elif schedule == "weekends" and day.weekday() >= 5:
            yield from clipped(local(day, time(0)), local(day + timedelta(days=1), time(0)))


def _demo_email(name: str) -> str:
    return f"{name}@{DEMO_DOMAIN}"


def seed_demo(urls: Urls) -> bool:
    """Create the demo building unless it exists; True when it was created now.

    All of it happens in one transaction on the admin connection, so an interrupted seed
    leaves nothing behind for the next run to mistake for a finished demo. Everything after
    create_building runs as parkshare_app (SET LOCAL ROLE), under row-level security, as
    the functions will.
    """
    zone = ZoneInfo(DEMO_TIMEZONE)
    now = datetime.now(UTC)
    with admin_connect(urls.admin_database_url) as conn, conn.transaction():
        # Two concurrent seeds would otherwise both find no demo and both create one.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('parkshare.seed-demo'))")
        existing = conn.execute(
            "SELECT id FROM parkshare.buildings WHERE name = %s", (DEMO_BUILDING,)
        ).fetchone()
        if existing is not None:
            return False

        building_id, admin_id = _create_building(
            conn, DEMO_BUILDING, DEMO_TIMEZONE, _demo_email("admin"), DEMO_PASSWORD, "Demo Admin"
        )
        conn.execute("SET LOCAL ROLE parkshare_app")
        set_context(conn, building_id, admin_id)
        user_ids: dict[str, UUID] = {}
        for name in DEMO_RESIDENTS:
            row = conn.execute(
                "SELECT id FROM parkshare.create_user(%s, %s, %s, %s)",
                (_demo_email(name), hash_password(DEMO_PASSWORD), name.capitalize(), "resident"),
            ).fetchone()
            if row is None:
                raise CliError(f"create_user returned no row for {name}")
            user_ids[name] = row["id"]

        for spot in DEMO_SPOTS:
            set_context(conn, building_id, user_ids[spot.owner])
            row = conn.execute(
                "SELECT id FROM parkshare.add_spot(%s, %s, %s)",
                (spot.label, spot.location, spot.notes),
            ).fetchone()
            if row is None:
                raise CliError(f"add_spot returned no row for {spot.label}")
            for start, end in demo_windows(spot.schedule, zone, now):
                conn.execute(
                    "SELECT * FROM parkshare.set_availability(%s, %s, %s, true, false)",
                    (row["id"], start, end),
                )
    return True


def _print_logins(settings: Settings) -> None:
    people = ", ".join(_demo_email(name) for name in ("admin", *DEMO_RESIDENTS))
    typer.echo(
        "\n".join(
            (
                "",
                f"How to log in to the {DEMO_BUILDING} demo:",
                f"  open      http://127.0.0.1:{settings.port}",
                f"  as        {people}",
                f"  password  {DEMO_PASSWORD}",
                "  (alice, bob and carol own two spots each; dave owns none)",
            )
        )
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
