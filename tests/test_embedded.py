"""The embedded default: no DATABASE_URL, no REDIS_URL, nothing installed but the wheels."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
import redis

from parkshare.config import Settings
from parkshare.store.embedded import resolve_urls
from parkshare.store.migrate import migrate
from tests.gateway.conftest import free_port

_UNSET = ("DATABASE_URL", "REDIS_URL", "PARKSHARE_APP_DATABASE_URL", "PARKSHARE_APP_DB_PASSWORD")


@pytest.fixture
def embedded_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    for name in _UNSET:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PARKSHARE_DATA_DIR", str(tmp_path / "data"))
    return {k: v for k, v in os.environ.items() if k not in _UNSET}


def test_embedded_servers_run_the_app_with_no_configuration(embedded_env: dict[str, str]) -> None:
    urls = resolve_urls(Settings())
    migrate(urls.admin_database_url)

    with psycopg.connect(urls.app_database_url) as conn:
        row = conn.execute("SELECT current_user, current_database()").fetchone()
    assert row == ("parkshare_app", "parkshare")

    client = redis.Redis.from_url(urls.redis_url)
    try:
        assert client.ping()
    finally:
        client.close()


def _run(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _wait_gone(pids: list[int], deadline_seconds: float = 15) -> list[int]:
    deadline = time.monotonic() + deadline_seconds
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if _running(p)]
        time.sleep(0.1)
    return alive


def _running(pid: int) -> bool:
    # A process may end between any two questions about it: gone is gone, never an error.
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _commands(processes: list[psutil.Process]) -> list[str]:
    """The command lines of those still running: a PostgreSQL backend (its cwd is the data
    directory) may end the moment its connection closes."""
    lines = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.ZombieProcess):
            lines.append(" ".join(process.cmdline()))
    return lines


def test_embedded_data_survives_a_restart_and_no_server_outlives_its_process(
    embedded_env: dict[str, str],
) -> None:
    write = textwrap.dedent(
        """
        import redis, psycopg
        from parkshare.config import Settings
        from parkshare.store.embedded import resolve_urls, running_embedded_pids
        u = resolve_urls(Settings())
        r = redis.Redis.from_url(u.redis_url); r.set("probe", "kept"); r.close()
        with psycopg.connect(u.admin_database_url, autocommit=True) as c:
            c.execute("CREATE TABLE probe (v text)")
            c.execute("INSERT INTO probe VALUES ('kept')")
        print(" ".join(map(str, running_embedded_pids())))
        """
    )
    pids = [int(p) for p in _run(write, embedded_env).split()]
    assert len(pids) == 2
    assert _wait_gone(pids) == []

    read = textwrap.dedent(
        """
        import redis, psycopg
        from parkshare.config import Settings
        from parkshare.store.embedded import resolve_urls
        u = resolve_urls(Settings())
        r = redis.Redis.from_url(u.redis_url); print(r.get("probe").decode()); r.close()
        with psycopg.connect(u.admin_database_url) as c:
            print(c.execute("SELECT v FROM probe").fetchone()[0])
        """
    )
    assert _run(read, embedded_env).split() == ["kept", "kept"]


def _started_by(root: int, data_dir: Path) -> list[psutil.Process]:
    """`root`'s descendants (the worker, its scheduler) and the servers keeping their data in
    `data_dir` (daemons, whose parent is init)."""
    found = {p.pid: p for p in psutil.Process(root).children(recursive=True)}
    for process in psutil.process_iter():
        try:
            if str(data_dir) in " ".join(process.cmdline()) or process.cwd().startswith(
                str(data_dir)
            ):
                found[process.pid] = process
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    found.pop(root, None)
    return list(found.values())


REPO = Path(__file__).resolve().parents[1]
DEV = {
    "parkshare dev": [sys.executable, "-m", "parkshare.run.cli", "dev"],
    # The README's command: ./just runs `just dev`, which builds the app and then runs
    # `parkshare dev`, so the terminal's Ctrl-C reaches three processes at once.
    "./just dev": [str(REPO / "just"), "dev"],
}


@pytest.mark.parametrize(
    ("command", "stop"),
    [
        ("parkshare dev", signal.SIGINT),
        ("parkshare dev", signal.SIGTERM),
        ("./just dev", signal.SIGINT),
    ],
    ids=["ctrl-c", "sigterm", "just-ctrl-c"],
)
def test_parkshare_dev_leaves_nothing_running_when_stopped(
    embedded_env: dict[str, str], tmp_path: Path, command: str, stop: signal.Signals
) -> None:
    """Ctrl-C in a terminal signals the whole foreground process group (the wrapper, just,
    parkshare dev and whatever shares their group); SIGTERM is how a supervisor stops it."""
    if command == "./just dev" and not (REPO / "web" / "node_modules").is_dir():
        pytest.skip("./just dev builds the web app: run npm ci in web/ first")
    port = free_port()
    log = tmp_path / "dev.log"
    started: list[psutil.Process] = []
    with log.open("wb") as output:
        process = subprocess.Popen(
            DEV[command],
            env={**embedded_env, "PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            # Its own process group, as a shell gives a foreground job.
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        started = _started_by(process.pid, Path(embedded_env["PARKSHARE_DATA_DIR"]))
        commands = _commands(started)
        assert any("parkshare.run.cli worker" in c for c in commands), commands
        assert any("postgres" in c for c in commands), commands
        assert any("redis-server" in c for c in commands), commands

        if stop == signal.SIGINT:
            os.killpg(process.pid, stop)  # the terminal's Ctrl-C
        else:
            process.send_signal(stop)
        process.wait(60)
        assert _wait_gone([p.pid for p in started], 30) == [], log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        # Whatever a failure left behind must not outlive the test.
        for leftover in started:
            with contextlib.suppress(psutil.Error):
                leftover.kill()
