"""Where the function entry points are and how to load one exactly as functions-framework
serves it, for the local gateway and the tests."""

from __future__ import annotations

from pathlib import Path

from functions_framework.aio import create_asgi_app
from starlette.types import ASGIApp

# Every deployable operation, named as its folder and its URL (`/fn/<name>`).
NAMES = (
    "auth",
    "admin",
    "add-spot",
    "set-availability",
    "list-spots",
    "reserve",
    "cancel",
    "settle",
    "me",
)


def functions_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "functions"


def source_of(name: str) -> Path:
    return functions_dir() / name / "main.py"


def target_of(name: str) -> str:
    """The entry point's Python name: the folder name with '-' as '_'."""
    return name.replace("-", "_")


def load(name: str) -> ASGIApp:
    app: ASGIApp = create_asgi_app(target_of(name), str(source_of(name)))  # type: ignore[no-untyped-call]
    return app
