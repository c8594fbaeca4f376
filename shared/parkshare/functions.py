"""Where the function entry points are and how to load one exactly as functions-framework
serves it, for `parkshare serve`, the local gateway, the OpenAPI document and the tests."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp

from parkshare import entrypoint
from parkshare.headers import SecurityHeaders
from parkshare.http import Router, http_problem

# Every deployable operation, named as its folder and its URL (`/fn/<name>`).
NAMES = (
    "auth",
    "admin",
    "add-spot",
    "set-availability",
    "recurring",
    "list-spots",
    "reserve",
    "cancel",
    "settle",
    "me",
    "notifications",
    "calendar",
    "request",
    "checkin",
    "board",
    "map",
    "graphql",
)


def functions_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "functions"


def source_of(name: str) -> Path:
    return functions_dir() / name / "main.py"


def available() -> tuple[str, ...]:
    return tuple(name for name in NAMES if source_of(name).is_file())


def target_of(name: str) -> str:
    """The entry point's Python name: the folder name with '-' as '_'."""
    return name.replace("-", "_")


@cache
def module(name: str) -> ModuleType:
    """The function's module, executed once per process (folder names are not importable
    package names, so it is loaded by path under a name of its own)."""
    spec = importlib.util.spec_from_file_location(
        f"parkshare_fn_{target_of(name)}", source_of(name)
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load function {name}")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def router(name: str) -> Router:
    found = getattr(module(name), "router", None)
    if not isinstance(found, Router):
        raise TypeError(f"functions/{name}/main.py has no module-level Router named router")
    return found


def load(name: str) -> ASGIApp:
    """The ASGI app functions-framework builds for this function, from the same module.

    The framework answers what reaches none of its routes (a method it does not route, such
    as TRACE; its /robots.txt and /favicon.ico) in plain text: those answers are
    problem+json like every other. Every answer carries the security headers, however the
    function is served (the gateway, `parkshare serve`, a test)."""
    return SecurityHeaders(framework_app(name))


def framework_app(name: str) -> Starlette:
    """The framework's app with its refusals as problem+json: `parkshare.entrypoint`'s port
    of it (the framework unimported), or the framework's own where only it will do."""
    loaded = module(name)
    app: Starlette
    if entrypoint.framework_needed():
        from functions_framework.aio import create_asgi_app_from_module

        app = create_asgi_app_from_module(  # type: ignore[no-untyped-call]
            target_of(name), str(source_of(name)), None, loaded, loaded.__spec__
        )
    else:
        function = getattr(loaded, target_of(name), None)
        if not callable(function):
            raise TypeError(f"functions/{name}/main.py has no entry point {target_of(name)}")
        app = entrypoint.asgi_app(function)
    app.add_exception_handler(HTTPException, http_problem)
    return app
