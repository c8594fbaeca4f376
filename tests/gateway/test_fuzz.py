"""schemathesis against /openapi.json of a real gateway: whatever the generated input, no
function answers a 5xx, and every answer has the media type and the schema the document
gives it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import TestDb, bearer
from tests.gateway.conftest import free_port, gateway_command, server_env, serving
from tests.support import Garage, next_hour


def test_no_generated_request_gets_a_server_error(
    api_database: TestDb, redis_url: str, api_garage: Garage, tmp_path: Path
) -> None:
    # Something to find: a spot with availability and a booking, as an admin sees them.
    owner, parker = api_garage.user("Owner"), api_garage.user("Parker")
    spot = api_garage.spot(owner)
    api_garage.offer(owner, spot, next_hour(), next_hour(24))
    api_garage.reserve(parker, spot, next_hour(2), next_hour(3))
    token = bearer(api_garage, api_garage.admin_id, "admin")["Authorization"]
    executable = shutil.which("schemathesis", path=os.path.dirname(sys.executable))
    assert executable
    port = free_port()
    with serving(gateway_command(port), server_env(api_database, redis_url), port) as base:
        done = subprocess.run(
            [
                executable,
                "run",
                f"{base}/openapi.json",
                "--checks",
                "not_a_server_error,response_schema_conformance,content_type_conformance",
                "--header",
                f"Authorization: {token}",
                "--max-examples",
                "30",
                "--seed",
                "7",
                "--request-timeout",
                "10",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env=dict(os.environ, SCHEMATHESIS_HOOKS=""),
            # schemathesis keeps a cache of crashes in the working directory: not the repo's.
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
