"""The image's commands run as plain processes, configured as the Knative manifests configure
them: PARKSHARE_EMBEDDED=false, the servers and keys given, the app role's URL only."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

from parkshare import tokens
from tests.conftest import TestDb
from tests.gateway.conftest import free_port, stop

STARTUP_SECONDS = 30.0


def parkshare_command() -> str:
    """The console script the image's ENTRYPOINT runs."""
    found = shutil.which("parkshare", path=str(Path(sys.executable).parent))
    assert found, "the parkshare command is installed with the package"
    return found


@pytest.fixture(scope="session")
def container_env(api_database: TestDb, redis_url: str) -> dict[str, str]:
    """What a pod's environment holds (parkshare-config and the Secrets): the session's
    signing keys, so tokens issued by the tests verify, and never the migrator's URL."""
    keys = tokens.signing_keys()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARKSHARE_", "FUNCTION_"))}
    env.update(
        PARKSHARE_EMBEDDED="false",
        PARKSHARE_LOG_FORMAT="json",
        DATABASE_URL=api_database.app_url,
        PARKSHARE_APP_DATABASE_URL=api_database.app_url,
        REDIS_URL=redis_url,
        PARKSHARE_JWT_PRIVATE_KEYS=json.dumps(keys.as_dict(private=True)),
        PARKSHARE_JWT_PUBLIC_KEYS=json.dumps(keys.as_dict(private=False)),
        PARKSHARE_SECRET_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        PARKSHARE_DB_POOL_MAX="4",
    )
    return env


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    base: str
    output: IO[bytes]

    def log(self) -> str:
        self.output.seek(0)
        return self.output.read().decode(errors="replace")

    def log_lines(self) -> list[dict[str, object]]:
        """The JSON log lines the process wrote (every line, once it runs with JSON logs)."""
        lines = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines


@contextmanager
def running(
    args: list[str], env: dict[str, str], port: int | None = None, path: str = "/healthz"
) -> Iterator[Running]:
    """`parkshare <args>` on a free port (PORT, as Knative sets it) until `path` answers 200;
    stopped with SIGTERM afterwards, as Kubernetes stops a pod."""
    port = port or free_port()
    env = dict(env, PORT=str(port), HOST="127.0.0.1")
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [parkshare_command(), *args], env=env, stdout=output, stderr=subprocess.STDOUT
        )
        started = Running(process, f"http://127.0.0.1:{port}", output)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"parkshare {args} exited early:\n{started.log()}")
                try:
                    if httpx.get(started.base + path, timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"parkshare {args}: no 200 from {path}:\n{started.log()}")
                time.sleep(0.05)
            yield started
        finally:
            stop(process, 15)
