"""A function's entry point, and the ASGI app functions-framework builds around it, without
importing functions-framework where it is not the server.

Importing the framework's `aio` module imports its parent package, which imports Flask,
Werkzeug, Jinja2, cloudevents and more at top level (~60 ms of a cold start), though the
ASGI path uses none of them. So:

- `functions/<name>/main.py` decorates its entry point with `entrypoint.http`. Under the
  framework's own CLI (`functions-framework --asgi --target T --source S`, which imported
  the framework before loading the module) that is `functions_framework.aio.http` itself,
  and the framework serves the function as it always did. Anywhere else (`parkshare serve`,
  the gateway, the tests) the function is left as it is.
- `asgi_app(function)` is the framework's `_create_asgi_app_with_function` for the "http"
  signature (functions-framework 3.10), ported: the same routes, response conversions and
  middlewares. tests/functions/test_framework_parity.py builds the framework's own app and
  this one for every function and compares their answers, so an upgrade of the framework
  cannot drift from it silently.

With `LOG_EXECUTION_ID` on, the framework's app is used (`framework_needed`): that mode
logs through Flask's stream.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import os
import random
import string
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

F = TypeVar("F", bound=Callable[..., Any])

# What the framework routes to an http function (Starlette adds HEAD to GET anyway).
METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH"]
_EXECUTION_ID_HEADER = b"function-execution-id"
_EXECUTION_ID_LENGTH = 12
_EXECUTION_ID_CHARSET = string.digits + string.ascii_letters
_STATUS_HEADER = b"X-Google-Status"
_TRUTHY = ("y", "yes", "t", "true", "on", "1")


def http(func: F) -> F:
    """The entry point of an http function. Under the framework's CLI, the framework's own
    decorator (which registers it as an ASGI http function); else the function itself."""
    if "functions_framework" in sys.modules:
        import functions_framework.aio

        return cast(F, functions_framework.aio.http(func))
    return func


def framework_needed() -> bool:
    """Whether only the framework's own app will do: its execution-id logging (the
    framework's `_enable_execution_id_logging`)."""
    return os.environ.get("LOG_EXECUTION_ID") in _TRUTHY


def asgi_app(function: Callable[[Request], Any]) -> Starlette:
    """The app functions-framework builds for an http function."""
    handler = _http_handler(function)
    routes = [
        Route("/", endpoint=handler, methods=METHODS),
        Route("/robots.txt", endpoint=_not_found, methods=["GET"]),
        Route("/favicon.ico", endpoint=_not_found, methods=["GET"]),
        Route("/{path:path}", endpoint=handler, methods=METHODS),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(ExceptionHandlerMiddleware), Middleware(ExecutionIdMiddleware)],
    )


def _http_handler(function: Callable[[Request], Any]) -> Callable[[Request], Awaitable[Any]]:
    """The framework's `_http_func_wrapper`: a str is a text answer, a dict JSON, a
    (content, status) pair either with that status, None a 500, anything else the answer.
    (The framework also keeps an execution context for its execution-id logging, which
    nothing reads without it: see `framework_needed`.)"""
    is_async = inspect.iscoroutinefunction(function)

    @functools.wraps(function)
    async def handler(request: Request) -> Any:
        if is_async:
            result = await function(request)
        else:
            loop = asyncio.get_running_loop()
            context = contextvars.copy_context()
            result = await loop.run_in_executor(None, context.run, function, request)
        if isinstance(result, str):
            return Response(result)
        if isinstance(result, dict):
            return JSONResponse(result)
        if isinstance(result, tuple) and len(result) == 2:
            content, status_code = result
            if isinstance(content, dict):
                return JSONResponse(content, status_code=status_code)
            return Response(content, status_code=status_code)
        if result is None:
            raise HTTPException(status_code=500, detail="No response returned")
        return result

    return handler


async def _not_found(request: Request) -> Response:
    raise HTTPException(status_code=404, detail="Not Found")


class ExceptionHandlerMiddleware:
    """An exception that escapes the function: logged with its traceback, answered as the
    framework answers it (a plain-text 500 with `X-Google-Status: crash`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            path = scope.get("path", "/")
            method = scope.get("method", "GET")
            logging.getLogger().error(f"Exception on {path} [{method}]\n{text}".rstrip())
            headers = [[b"content-type", b"text/plain"], [_STATUS_HEADER, b"crash"]]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": b"Internal Server Error"})


class ExecutionIdMiddleware:
    """A `Function-Execution-Id` request header where the request brought none (the
    framework's `execution_id.AsgiMiddleware`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            execution_id = None
            for name, value in scope.get("headers", []):
                if name.lower() == _EXECUTION_ID_HEADER:
                    execution_id = value.decode("latin-1")
                    break
            if not execution_id:
                # One call for the twelve characters (the framework's twelve `choice`s are
                # ~1 % of a booking's CPU in the gateway's profile), from the same alphabet.
                generated = "".join(random.choices(_EXECUTION_ID_CHARSET, k=_EXECUTION_ID_LENGTH))
                headers = list(scope.get("headers", []))
                headers.append((_EXECUTION_ID_HEADER, generated.encode("latin-1")))
                scope["headers"] = headers
        await self.app(scope, receive, send)
