"""`parkshare` starts the container's servers without the CLI (parkshare.run.launch) and hands
everything else to it: what each server is started with, and what a bad environment gets
told, are the CLI's."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from parkshare.run import launch, serve

ENVIRONMENTS: list[dict[str, str]] = [
    {"FUNCTION_TARGET": "reserve"},
    {
        "FUNCTION_TARGET": "list_spots",
        "FUNCTION_SOURCE": "/app/functions/list-spots/main.py",
        "FUNCTION_SIGNATURE_TYPE": "http",
        "HOST": "127.0.0.1",
        "PORT": "9123",
    },
    {"FUNCTION_TARGET": "me", "FUNCTION_SOURCE": "", "HOST": "", "PORT": " 8081 "},
    {"FUNCTION_TARGET": "me", "FUNCTION_SIGNATURE_TYPE": "cloudevent", "PORT": ""},
]
NAMES = ("FUNCTION_TARGET", "FUNCTION_SOURCE", "FUNCTION_SIGNATURE_TYPE", "HOST", "PORT")


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """The servers as called, instead of started."""
    calls: list[tuple[str, tuple[Any, ...]]] = []
    for name in ("serve_function", "serve_relay", "serve_web"):

        def record(*args: Any, name: str = name) -> None:
            calls.append((name, args))

        monkeypatch.setattr(serve, name, record)
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    yield calls
    gc.enable()  # the launcher turned it off; the (recorded) server would turn it on


def run(monkeypatch: pytest.MonkeyPatch, module: Any, args: list[str]) -> int:
    monkeypatch.setattr(sys, "argv", ["parkshare", *args])
    try:
        module.main()
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


def assert_same_start(
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    command: str,
    started: list[tuple[str, tuple[Any, ...]]],
) -> None:
    """The CLI and the launcher, in the same environment, start the same server."""
    from parkshare.run import cli

    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    assert run(monkeypatch, cli, [command]) == 0
    assert run(monkeypatch, launch, [command]) == 0
    assert len(started) == 2 and started[0] == started[1]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_serve_starts_what_the_cli_starts(
    environment: dict[str, str],
    started: list[tuple[str, tuple[Any, ...]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert_same_start(monkeypatch, environment, "serve", started)
    assert not gc.isenabled()
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__"


@pytest.mark.parametrize("command", ["relay", "web"])
@pytest.mark.parametrize("environment", [{}, {"HOST": "::1", "PORT": "7001"}, {"PORT": ""}])
def test_relay_and_web_start_as_from_the_cli(
    command: str,
    environment: dict[str, str],
    started: list[tuple[str, tuple[Any, ...]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert_same_start(monkeypatch, environment, command, started)


def test_other_commands_and_arguments_go_to_the_cli(
    started: list[tuple[str, tuple[Any, ...]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[list[str]] = []
    monkeypatch.setattr("parkshare.run.cli.main", lambda: handed.append(sys.argv[1:]))
    for args in (["migrate"], ["serve", "--target", "me"], ["worker", "--burst"], [], ["web", "x"]):
        assert run(monkeypatch, launch, args) == 0
    assert handed == [
        ["migrate"],
        ["serve", "--target", "me"],
        ["worker", "--burst"],
        [],
        ["web", "x"],
    ]
    assert started == [] and gc.isenabled()
    assert "PYDANTIC_DISABLE_PLUGINS" not in os.environ


def parkshare(
    args: list[str], env: dict[str, str], without: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    script = os.path.join(os.path.dirname(sys.executable), "parkshare")
    clean = {k: v for k, v in os.environ.items() if k not in (*NAMES, *without)}
    return subprocess.run(
        [script, *args], env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "env",
    [{}, {"FUNCTION_TARGET": ""}, {"FUNCTION_TARGET": "me", "PORT": "eighty"}, {"PORT": "x"}],
    ids=["no-target", "empty-target", "bad-port", "bad-port-web"],
)
def test_what_the_cli_refuses_it_still_refuses(env: dict[str, str]) -> None:
    # The installed script (pyproject.toml's entry point), against the CLI run as a module.
    command = ["web"] if "FUNCTION_TARGET" not in env and env else ["serve"]
    ours = parkshare(command, env)
    theirs = subprocess.run(
        [sys.executable, "-m", "parkshare.run.cli", *command],
        env={**{k: v for k, v in os.environ.items() if k not in NAMES}, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ours.returncode == theirs.returncode == 2
    assert ours.stderr == theirs.stderr.replace("python -m parkshare.run.cli", "parkshare")


def test_an_unconfigured_server_is_one_line_and_status_1() -> None:
    env = {"PARKSHARE_EMBEDDED": "false", "FUNCTION_TARGET": "me", "PORT": "1"}
    done = parkshare(
        ["serve"], env, without=("PARKSHARE_JWT_PUBLIC_KEYS", "PARKSHARE_JWT_PRIVATE_KEYS")
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: PARKSHARE_EMBEDDED is false and ")
    assert "PARKSHARE_JWT_PUBLIC_KEYS" in done.stderr and done.stderr.count("\n") == 1
