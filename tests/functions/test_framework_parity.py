"""`parkshare.entrypoint` builds the app functions-framework builds, without importing the
framework: for every function, and for a made-up one that returns each kind of result the
framework converts, both apps answer the same requests with the same status, headers and
body. An upgrade of functions-framework that changes its app fails here, not in production."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from parkshare import entrypoint, functions, metrics
from parkshare.headers import SecurityHeaders
from parkshare.http import http_problem
from parkshare.store import db

# Every method an http function is routed (and one it is not), the framework's own routes,
# nested and odd paths, the probes.
REQUESTS: list[tuple[str, str]] = [
    ("GET", "/"),
    ("POST", "/"),
    ("PUT", "/"),
    ("DELETE", "/"),
    ("PATCH", "/"),
    ("HEAD", "/"),
    ("OPTIONS", "/"),
    ("TRACE", "/"),
    ("TRACE", "/deeper"),
    ("GET", "/robots.txt"),
    ("HEAD", "/robots.txt"),
    ("POST", "/robots.txt"),
    ("GET", "/favicon.ico"),
    ("DELETE", "/favicon.ico"),
    ("GET", "/robots.txt/inside"),
    ("GET", "/a/b/c"),
    ("POST", "/nested/path/"),
    ("GET", "//twice"),
    ("GET", "/%2e%2e/up"),
    ("GET", "/jwks"),
    ("GET", "/invites"),
    ("GET", "/healthz"),
    ("HEAD", "/healthz"),
    ("POST", "/healthz"),
    ("GET", "/readyz"),
]
# Where both apps legitimately differ: the clock.
VARYING = {"date"}


def framework_app(loaded: types.ModuleType, target: str, source: str) -> Starlette:
    from functions_framework.aio import create_asgi_app_from_module

    app: Starlette = create_asgi_app_from_module(  # type: ignore[no-untyped-call]
        target, source, None, loaded, getattr(loaded, "__spec__", None)
    )
    return app


def served_as_before(name: str) -> SecurityHeaders:
    """What functions.load returned when it called the framework: its app, refusals as
    problem+json, the security headers."""
    app = framework_app(
        functions.module(name), functions.target_of(name), str(functions.source_of(name))
    )
    app.add_exception_handler(HTTPException, http_problem)
    return SecurityHeaders(app)


@pytest.fixture(autouse=True)
def _framework_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The framework writes the signature type it settled on into the environment.
    monkeypatch.setenv("FUNCTION_SIGNATURE_TYPE", "http")
    monkeypatch.delenv("LOG_EXECUTION_ID", raising=False)


# Our middlewares and the framework's they port.
PORTED = {
    "parkshare.entrypoint.ExceptionHandlerMiddleware": (
        "functions_framework.aio.ExceptionHandlerMiddleware"
    ),
    "parkshare.entrypoint.ExecutionIdMiddleware": "functions_framework.execution_id.AsgiMiddleware",
}


def shape(app: Starlette) -> tuple[list[tuple[str, str, list[str]]], list[str]]:
    """Its routes (path, endpoint kind, methods) and middlewares (as the framework's)."""
    routes = [
        (r.path, type(r).__name__, sorted(r.methods or ()))
        for r in app.routes
        if isinstance(r, Route)
    ]
    assert len(routes) == len(app.routes)
    names = [f"{m.cls.__module__}.{m.cls.__name__}" for m in app.user_middleware]  # type: ignore[attr-defined]
    return routes, [PORTED.get(n, n) for n in names]


async def answers(app: Any, method: str, path: str, **kwargs: Any) -> tuple[Any, ...]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://function.test") as http:
        headers = {"X-Request-Id": "parity", **kwargs.pop("headers", {})}
        answer = await http.request(method, path, headers=headers, **kwargs)
    kept = sorted((k, v) for k, v in answer.headers.multi_items() if k not in VARYING)
    return answer.status_code, kept, answer.content


@pytest.mark.parametrize("name", functions.available())
def test_the_same_routes_and_middlewares(name: str) -> None:
    ours = functions.framework_app(name)
    theirs = framework_app(
        functions.module(name), functions.target_of(name), str(functions.source_of(name))
    )
    assert shape(ours) == shape(theirs)


@pytest.mark.parametrize("name", functions.available())
async def test_every_function_answers_as_under_the_framework(
    name: str, pool: db.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, theirs = functions.load(name), served_as_before(name)
    for method, path in REQUESTS:
        assert await answers(ours, method, path) == await answers(theirs, method, path), (
            method,
            path,
        )
    for extra in (
        {"headers": {"Authorization": "Bearer not-a-token"}},
        {"headers": {"Function-Execution-Id": "given"}, "json": {}},
        {"content": b"{", "headers": {"content-type": "application/json"}},
    ):
        ours_answer = await answers(ours, "POST", "/", **dict(extra))
        assert ours_answer == await answers(theirs, "POST", "/", **dict(extra)), extra

    # An exception that escapes the function: the framework's plain-text 500.
    async def boom(request: Request, path: str) -> Response | None:
        raise RuntimeError("escaped")

    monkeypatch.setattr(metrics, "intercept", boom)
    crashed = await answers(ours, "GET", "/anything")
    assert crashed == await answers(theirs, "GET", "/anything")
    assert crashed[0] == 500 and ("x-google-status", "crash") in crashed[1]


# --- a made-up function: every kind of result the framework converts ------------------------


def _result(request: Request) -> Any:
    kind = request.query_params.get("kind", "")
    execution = request.headers.get("function-execution-id", "")
    results: dict[str, Callable[[], Any]] = {
        "str": lambda: f"text {len(execution)}",
        "dict": lambda: {"execution": execution if execution == "given" else len(execution)},
        "pair-dict": lambda: ({"created": True}, 201),
        "pair-text": lambda: ("teapot", 418),
        "pair-bytes": lambda: (b"raw", 202),
        "none": lambda: None,
        "response": lambda: PlainTextResponse("own", status_code=203, headers={"x-own": "1"}),
        "list": lambda: [1, 2],
    }
    if kind == "raise":
        raise ValueError("escaped")
    if kind == "http":
        raise HTTPException(409, "conflict")
    return results[kind]()


async def made_up(request: Request) -> Any:
    return _result(request)


def made_up_sync(request: Request) -> Any:
    return _result(request)


@pytest.fixture(params=["async", "sync"])
def made_up_module(request: pytest.FixtureRequest) -> types.ModuleType:
    module = types.ModuleType("made_up")
    module.made_up = made_up if request.param == "async" else made_up_sync  # type: ignore[attr-defined]
    return module


@pytest.mark.parametrize(
    "kind",
    ["str", "dict", "pair-dict", "pair-text", "pair-bytes", "none", "response", "raise", "http"],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("POST", "/deep/er"), ("HEAD", "/"), ("OPTIONS", "/x"), ("TRACE", "/")],
)
async def test_each_result_converts_as_in_the_framework(
    made_up_module: types.ModuleType, kind: str, method: str, path: str
) -> None:
    ours = entrypoint.asgi_app(made_up_module.made_up)
    theirs = framework_app(made_up_module, "made_up", "made_up.py")
    assert shape(ours) == shape(theirs)
    for headers in ({}, {"Function-Execution-Id": "given"}, {"Function-Execution-Id": ""}):
        query = f"{path}?kind={kind}"
        assert await answers(ours, method, query, headers=headers) == await answers(
            theirs, method, query, headers=headers
        )


@pytest.mark.parametrize("path", ["/robots.txt", "/favicon.ico"])
async def test_the_framework_routes_answer_alike(
    made_up_module: types.ModuleType, path: str
) -> None:
    ours = entrypoint.asgi_app(made_up_module.made_up)
    theirs = framework_app(made_up_module, "made_up", "made_up.py")
    for method in ("GET", "HEAD", "POST"):
        assert await answers(ours, method, path) == await answers(theirs, method, path)


def test_execution_id_logging_is_left_to_the_framework(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_EXECUTION_ID", "true")
    assert entrypoint.framework_needed()
    monkeypatch.setenv("LOG_EXECUTION_ID", "false")
    assert not entrypoint.framework_needed()


def test_the_served_path_imports_no_framework() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from parkshare import functions\n"
        "for name in functions.available():\n"
        "    functions.load(name)\n"
        "heavy = ('functions_framework', 'flask', 'werkzeug', 'jinja2', 'pydantic_settings')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith(heavy)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
