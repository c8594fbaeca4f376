"""`just bench-coldstart`: each function's cold start, process start to first 200 on its port.

Each run spawns the container's command (`parkshare serve` with FUNCTION_TARGET and
FUNCTION_SOURCE, configured as in Knative: PARKSHARE_EMBEDDED=false, keys and servers
given) and polls it every few milliseconds:
- `up`: the first 200 from `/healthz`, which the function's own Router answers, so the
  function's module and every import it makes are loaded (serve loads them before binding);
- `ready`: the first 200 from `/readyz` after that (the pool opened, PostgreSQL answered),
  which is what Knative's readiness probe waits for before sending traffic;
- `1st` and `2nd`: then one real request of the function, twice (a resident's token, in a
  building with a spot): what the first user after a cold start waits, against a warm one.
The baseline, measured in the same command on the same machine, is a bare uvicorn app that
answers 200 to everything: the interpreter, uvicorn and a socket, nothing of ours.
`--framework` also times `functions-framework --asgi` for comparison.

As in the image, every module is compiled already (the image runs compileall): the children
keep their bytecode under a cache prefix of their own, filled by one uncounted start of each
command, which also leaves the files in the OS's cache as on a node that runs the image.
Beside the wall-clock figures, `cpu` is the process's own CPU time at its first 200 (user +
system), which other load on the machine disturbs less.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from joserfc import jwt
from joserfc.jwk import KeySet, OKPKey

from parkshare import functions
from parkshare.config import get_settings
from parkshare.store.embedded import resolve_urls
from tests.bench.bench_sql import Fixture, build_fixture, fresh_database
from tests.gateway.conftest import free_port, stop

POLL_SECONDS = 0.002
GIVE_UP_SECONDS = 30.0
# The aims for the median `up`: REST functions, and GraphQL (strawberry and
# graphql-core are most of its start).
AIM_MS = 400.0
AIM_MS_OF = {"graphql": 800.0}
HELLO = """
import uvicorn

async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

uvicorn.run(app, host="127.0.0.1", port=int(__import__("os").environ["PORT"]), log_level="error")
"""


def _status(port: int, path: str) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        connection.close()


def _cpu_ms(pid: int) -> float:
    """User + system CPU time of a running process, from /proc (0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def _until_200(process: subprocess.Popen[bytes], port: int, path: str, started: float) -> float:
    while True:
        if _status(port, path) == 200:
            return (time.perf_counter() - started) * 1000
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode} before answering {path}")
        if time.perf_counter() - started > GIVE_UP_SECONDS:
            raise RuntimeError(f"no 200 from {path} within {GIVE_UP_SECONDS:g} s")
        time.sleep(POLL_SECONDS)


class Times(NamedTuple):
    up: float  # ms to the first 200 from /healthz
    cpu: float  # CPU ms by then
    ready: float  # ms to the first 200 from /readyz (or `up`)
    first: float | None = None  # ms of the first real request, then of the second
    second: float | None = None


Request = tuple[str, str, dict[str, str], Callable[[], Any]]


def _timed(port: int, request: Request) -> float:
    method, path, headers, body = request
    payload = body()
    data = json.dumps(payload).encode() if payload is not None else None
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    started = time.perf_counter()
    try:
        connection.request(
            method, path, body=data, headers={**headers, "content-type": "application/json"}
        )
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status >= 500:
        raise RuntimeError(f"{method} {path}: {response.status}")
    return elapsed


def cold_start(
    command: list[str], env: dict[str, str], ready: bool, request: Request | None = None
) -> Times:
    """Its times to /healthz, /readyz and, with `request`, that request twice."""
    port = free_port()
    env = dict(env, PORT=str(port))
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        up = _until_200(process, port, "/healthz", started)
        cpu = _cpu_ms(process.pid)
        at_ready = _until_200(process, port, "/readyz", started) if ready else up
        if request is None:
            return Times(up, cpu, at_ready)
        first = _timed(port, request)
        return Times(up, cpu, at_ready, first, _timed(port, request))
    except RuntimeError as exc:
        assert process.stderr is not None
        process.kill()
        raise RuntimeError(f"{command}: {exc}\n{process.stderr.read().decode()}") from None
    finally:
        stop(process)


def real_request(name: str, fx: Fixture, keys: KeySet) -> Request:
    """One request each function answers from the database (a refusal, where that is its
    answer to a resident), with a resident's token signed by the pods' key."""
    user = fx.parkers[0]
    now = int(time.time())
    claims = {
        "iss": "parkshare",
        "aud": "parkshare",
        "sub": str(user),
        "bld": str(fx.building_id),
        "role": "resident",
        "iat": now,
        "exp": now + 3 * 3600,
        "sid": str(fx.session(user)),
    }
    key = keys.keys[0]
    token = jwt.encode({"alg": "Ed25519", "kid": key.kid}, claims, key, ["Ed25519"])
    bearer = {"authorization": f"Bearer {token}"}
    soon = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    window = {"start": soon.isoformat(), "end": (soon + timedelta(hours=1)).isoformat()}

    def nothing() -> None:
        return None

    requests: dict[str, Request] = {
        "auth": ("GET", "/jwks", {}, nothing),
        "admin": ("GET", "/invites", bearer, nothing),
        "add-spot": ("POST", "/", bearer, lambda: {"label": f"B-{uuid.uuid4().hex[:8]}"}),
        "set-availability": (
            "POST",
            "/",
            bearer,
            lambda: {"spot_id": str(uuid.uuid4()), **window, "available": True},
        ),
        "list-spots": ("GET", "/", bearer, nothing),
        "reserve": ("POST", "/", bearer, lambda: {"spot_id": str(uuid.uuid4()), **window}),
        "cancel": ("POST", "/", bearer, lambda: {"reservation_id": str(uuid.uuid4())}),
        "settle": ("POST", "/", bearer, nothing),
        "me": ("GET", "/", bearer, nothing),
        "recurring": ("GET", "/", bearer, nothing),
        "notifications": ("GET", "/", bearer, nothing),
        "graphql": ("POST", "/", bearer, lambda: {"query": "{ me { email credits } }"}),
    }
    return requests[name]


def signing_keys() -> KeySet:
    return KeySet([OKPKey.generate_key("Ed25519", parameters={"kid": "bench"}, private=True)])


def container_env(
    admin_url: str, app_url: str, redis_url: str, keys: KeySet | None = None
) -> dict[str, str]:
    """What a function's pod gets: no embedded fallbacks, every server and key given."""
    keys = keys or signing_keys()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARKSHARE_", "FUNCTION_"))}
    env.update(
        PARKSHARE_EMBEDDED="false",
        DATABASE_URL=app_url,
        PARKSHARE_APP_DATABASE_URL=app_url,
        REDIS_URL=redis_url,
        PARKSHARE_JWT_PRIVATE_KEYS=json.dumps(keys.as_dict(private=True)),
        PARKSHARE_JWT_PUBLIC_KEYS=json.dumps(keys.as_dict(private=False)),
        PARKSHARE_SECRET_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        PARKSHARE_LOG_FORMAT="json",
        PYTHONPYCACHEPREFIX=str(Path(tempfile.mkdtemp(prefix="parkshare-pyc-"))),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    del admin_url  # the functions never get the migrator's credentials
    return env


def _median(values: list[float | None]) -> float:
    return statistics.median(v for v in values if v is not None)


def _summary(label: str, times: list[Times], baseline: float, aim: float = AIM_MS) -> str:
    up = [t.up for t in times]
    ready = [t.ready for t in times]
    up_median, ready_median = statistics.median(up), statistics.median(ready)
    flag = "" if up_median <= aim else f"  (over {aim:.0f} ms)"
    line = (
        f"{label:18s} up median {up_median:5.0f} ms  max {max(up):5.0f} ms  "
        f"x{up_median / baseline:4.1f}  cpu {_median([t.cpu for t in times]):4.0f} ms"
        f" | ready median {ready_median:5.0f} ms  max {max(ready):5.0f} ms"
    )
    if times[0].first is not None:
        first, second = _median([t.first for t in times]), _median([t.second for t in times])
        line += f" | 1st {first:4.0f} ms  2nd {second:4.0f} ms"
    return line + flag


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="cold starts per function")
    parser.add_argument("--only", nargs="*", default=None, help="function names to time")
    parser.add_argument("--framework", action="store_true", help="also functions-framework")
    args = parser.parse_args()

    bin_dir = Path(sys.executable).parent
    parkshare = shutil.which("parkshare", path=str(bin_dir)) or "parkshare"
    framework = shutil.which("functions-framework", path=str(bin_dir)) or "functions-framework"
    names = [n for n in functions.available() if args.only is None or n in args.only]
    redis_url = resolve_urls(get_settings()).redis_url
    with fresh_database() as (admin_url, app_url):
        keys = signing_keys()
        env = container_env(admin_url, app_url, redis_url, keys)
        fx = build_fixture(admin_url, app_url, parkers=1, spots=1)
        # One start first, not counted: the OS's file cache then holds the interpreter and
        # the packages, as on a node that already runs the image.
        hello = [sys.executable, "-c", HELLO]
        cold_start(hello, env, ready=False)  # uncounted: caches filled
        base = [cold_start(hello, env, False) for _ in range(args.runs)]
        baseline = statistics.median(t[0] for t in base)
        print(f"cold start, {args.runs} runs each, process start to first 200 on its own port")
        print(_summary("baseline (uvicorn)", base, baseline).split(" | ")[0])
        for name in names:
            source = str(functions.source_of(name))
            target = functions.target_of(name)
            function_env = dict(env, FUNCTION_TARGET=target, FUNCTION_SOURCE=source)
            commands = {name: [parkshare, "serve"]}
            if args.framework:
                commands["  functions-fw"] = [framework, "--asgi", "--target", target]
                commands["  functions-fw"] += ["--source", source, "--host", "127.0.0.1"]
            request = real_request(name, fx, keys)
            for label, command in commands.items():
                cold_start(command, function_env, True, request)  # uncounted: caches filled
                times = [cold_start(command, function_env, True, request) for _ in range(args.runs)]
                print(_summary(label, times, baseline, AIM_MS_OF.get(name, AIM_MS)))


if __name__ == "__main__":
    main()
