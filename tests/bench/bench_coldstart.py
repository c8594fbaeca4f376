"""`just bench-coldstart`: each function's cold start, process start to first 200 on its port.

Each run spawns the container's command (`parkshare serve` with FUNCTION_TARGET and
FUNCTION_SOURCE, configured as in Knative: PARKSHARE_EMBEDDED=false, keys and servers
given) and polls it every few milliseconds:
- `up`: the first 200 from `/healthz`, which the function's own Router answers, so the
  function's module and every import it makes are loaded (serve loads them before binding);
- `ready`: the first 200 from `/readyz` after that (the pool opened, PostgreSQL answered),
  which is what Knative's readiness probe waits for before sending traffic.
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
from pathlib import Path

from joserfc.jwk import KeySet, OKPKey

from parkshare import functions
from parkshare.config import get_settings
from parkshare.embedded import resolve_urls
from tests.bench.bench_sql import fresh_database
from tests.gateway.conftest import free_port, stop

POLL_SECONDS = 0.002
GIVE_UP_SECONDS = 30.0
AIM_MS = 500.0
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


Times = tuple[float, float, float]


def cold_start(command: list[str], env: dict[str, str], ready: bool) -> Times:
    """(ms to the first 200 from /healthz, CPU ms by then, ms to the first 200 from /readyz
    or the same)."""
    port = free_port()
    env = dict(env, PORT=str(port))
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        up = _until_200(process, port, "/healthz", started)
        cpu = _cpu_ms(process.pid)
        at_ready = _until_200(process, port, "/readyz", started) if ready else up
        return up, cpu, at_ready
    except RuntimeError as exc:
        assert process.stderr is not None
        process.kill()
        raise RuntimeError(f"{command}: {exc}\n{process.stderr.read().decode()}") from None
    finally:
        stop(process)


def container_env(admin_url: str, app_url: str, redis_url: str) -> dict[str, str]:
    """What a function's pod gets: no embedded fallbacks, every server and key given."""
    key = OKPKey.generate_key("Ed25519", parameters={"kid": "bench"}, private=True)
    keys = KeySet([key])
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


def _summary(label: str, times: list[Times], baseline: float) -> str:
    up = [t[0] for t in times]
    cpu = statistics.median(t[1] for t in times)
    ready = [t[2] for t in times]
    up_median, ready_median = statistics.median(up), statistics.median(ready)
    flag = "" if up_median < AIM_MS else f"  (over {AIM_MS:.0f} ms)"
    return (
        f"{label:18s} up median {up_median:5.0f} ms  max {max(up):5.0f} ms  "
        f"x{up_median / baseline:4.1f}  cpu {cpu:4.0f} ms | ready median {ready_median:5.0f} ms  "
        f"max {max(ready):5.0f} ms{flag}"
    )


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
        env = container_env(admin_url, app_url, redis_url)
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
            for label, command in commands.items():
                cold_start(command, function_env, ready=True)  # uncounted: caches filled
                times = [cold_start(command, function_env, True) for _ in range(args.runs)]
                print(_summary(label, times, baseline))


if __name__ == "__main__":
    main()
