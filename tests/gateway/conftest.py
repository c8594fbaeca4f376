"""A real server: the gateway (or one function alone) in its own process, on a free port,
pointed at the session's test database and sharing its token keys."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import TestDb


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(database: TestDb, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PARKSHARE_APP_DATABASE_URL=database.app_url,
        DATABASE_URL=database.admin_url,
        REDIS_URL=redis_url,
    )
    return env


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM, as Kubernetes stops a pod or a developer's shell a server; SIGKILL if it is
    still there after `timeout`."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """Run `command` until it answers on `port`; stop it afterwards, whatever happens."""
    # A file, not a pipe: nobody reads while the server runs, and a full pipe would block
    # the server in the middle of a write.
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    output.seek(0)
                    raise AssertionError(f"server exited early:\n{output.read().decode()}")
                try:
                    httpx.get(base + "/", timeout=0.5)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise AssertionError("server did not answer within 30 s") from None
                    time.sleep(0.1)
            yield base
        finally:
            stop(process)


def uvicorn_command(app: str, port: int, *, factory: bool = False) -> list[str]:
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    return command + ["--log-level", "warning"] + (["--factory"] if factory else [])


def gateway_command(port: int) -> list[str]:
    return uvicorn_command("parkshare.run.gateway:create_app", port, factory=True)
