"""What a server process spends its CPU on during a benchmark: its CPU time per request
(robust to other load on the machine, unlike throughput), and optionally a py-spy profile
of it, summed by function (inclusive and self), to print beside the figures."""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psutil


def server_process(port: int) -> psutil.Process:
    """The child of this process that serves on `port`."""
    for child in psutil.Process().children(recursive=True):
        try:
            if str(port) in " ".join(child.cmdline()):
                return child
        except psutil.Error:
            continue
    raise LookupError(f"no child process serves port {port}")


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


class MachineCpu:
    """CPU time every process on the machine used between `start` and `stop`, by kind: the
    server, PostgreSQL's sessions and its background processes, Redis, this process (the
    load generator) and the rest."""

    def __init__(self, server: psutil.Process) -> None:
        self.server = server
        self._before: dict[int, tuple[str, float]] = {}

    def _kind(self, process: psutil.Process) -> str:
        if process.pid == self.server.pid:
            return "server"
        if process.pid == psutil.Process().pid:
            return "load generator"
        name = process.name()
        if name.startswith("postgres"):
            # A backend's title names its user and database ("postgres: parkshare_app db
            # 127.0.0.1(5678) idle"); the server's own processes do not (walwriter,
            # checkpointer, autovacuum...): what the sessions do and what it costs besides.
            session = re.search(r"\d+\.\d+\.\d+\.\d+\(|\[local\]", " ".join(process.cmdline()))
            return "postgres" if session else "postgres bg"
        if name.startswith("redis"):
            return "redis"
        return "other"

    def _now(self) -> dict[int, tuple[str, float]]:
        found = {}
        for process in psutil.process_iter():
            try:
                found[process.pid] = (self._kind(process), cpu_seconds(process))
            except psutil.Error:
                continue
        return found

    def start(self) -> None:
        self._before = self._now()

    def stop(self) -> dict[str, float]:
        used: dict[str, float] = {}
        for pid, (kind, seconds) in self._now().items():
            earlier = self._before.get(pid, (kind, 0.0))[1]
            used[kind] = used.get(kind, 0.0) + seconds - earlier
        return used


@dataclass
class Profile:
    """py-spy sampling `pid` for `seconds`, started now, in the background."""

    pid: int
    seconds: float
    out: Path = Path(tempfile.mkstemp(suffix=".txt")[1])
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        self.process = subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(self.pid),
                "--duration",
                str(int(self.seconds)),
                "--rate",
                "250",
                "--format",
                "raw",
                "--output",
                str(self.out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def summary(self, top: int = 15) -> str:
        assert self.process is not None
        self.process.wait(self.seconds + 30)
        return summarize(self.out.read_text(), top)


def summarize(raw: str, top: int = 15) -> str:
    """py-spy's raw (collapsed) stacks as the functions with the most samples."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        for frame in set(frames):
            if "parkshare" in frame or "rq/" in frame or "psycopg" in frame:
                inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        return "  (no samples)"
    lines = [f"  {total} samples; inclusive (parkshare, psycopg, rq):"]
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    lines.append("  self:")
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return "\n".join(lines)
