"""Real servers for the tests, each in its own process: `parkshare dev` as a newcomer starts
it (the end-to-end and hostile-client tests). Plain functions, not fixtures: a fixture of
any scope can call them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import TestDb
from tests.gateway.conftest import free_port

REPO = Path(__file__).resolve().parents[1]


@dataclass
class DevServer:
    base: str
    port: int
    log: Path
    pid: int


@contextmanager
def parkshare_dev(database: TestDb, redis_url: str, **settings: str) -> Iterator[DevServer]:
    """`parkshare dev` on a free port and its own data dir, pointed at `database` (which it
    finds empty and seeds with the demo); its stdout and stderr in `log`. Stopped with
    Ctrl-C (SIGINT), as a developer stops it."""
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="parkshare-dev-"))
    log = data_dir / "dev.log"
    env = dict(os.environ)
    env.pop("PARKSHARE_APP_DATABASE_URL", None)
    env.update(
        DATABASE_URL=database.admin_url,
        REDIS_URL=redis_url,
        PORT=str(port),
        PARKSHARE_DATA_DIR=str(data_dir),
        **settings,
    )
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "parkshare.run.cli", "dev"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise AssertionError(f"parkshare dev exited early:\n{log.read_text()}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"parkshare dev did not answer:\n{log.read_text()}")
            time.sleep(0.2)
        yield DevServer(base, port, log, process.pid)
    finally:
        # Ctrl-C: the gateway, then the worker, then the embedded servers.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
