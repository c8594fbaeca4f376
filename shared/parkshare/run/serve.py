"""What the container image runs, each as a `parkshare` command: one function on $PORT as
functions-framework serves it (`serve`), the relay (`relay`), the built web app (`web`).

`serve` builds the very app `functions-framework --asgi --target T --source S` builds (the
framework's app over the function's module, loaded as the gateway loads it:
`parkshare.functions.load`, with `parkshare.entrypoint`'s port of the framework's builder)
and runs it under uvicorn, adding only what a process needs around it: the pool
and Redis closed at shutdown, the function's `websocket` app (GraphQL subscriptions) at its
root, and CORS where the web app lives on another origin. The framework's own server would
be gunicorn over uvicorn workers, importing Flask on the way: slower to start for nothing.

Heavy imports stay inside the functions: the CLI imports this module for every command,
and `parkshare.run.launch` imports it to start a server without the CLI.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parkshare.config import Settings, get_settings

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.types import ASGIApp, Receive, Scope, Send

WEB_DIST = Path(__file__).resolve().parents[3] / "web" / "dist"
CORS_HEADERS = ["authorization", "content-type", "idempotency-key", "x-request-id"]


class Unconfigured(Exception):
    """A container process lacks a setting it must not make up."""


def require(settings: Settings, *needs: str) -> None:
    """With `PARKSHARE_EMBEDDED=false`, refuse to start without what `needs` names: an
    embedded PostgreSQL or a generated signing key would otherwise stand in silently (a
    migration Job "succeeding" on a database inside its own pod, a function answering from
    an empty one, tokens one pod signs and the next refuses).

    needs: "database", "redis", "verify" (public or private JWKS), "sign" (private JWKS),
    "secret" (the sealing key).
    """
    if settings.embedded:
        return
    unset = {
        "database": ("DATABASE_URL", settings.database_url is None),
        "redis": ("REDIS_URL", settings.redis_url is None),
        "verify": (
            "PARKSHARE_JWT_PUBLIC_KEYS",
            settings.jwt_public_keys is None and settings.jwt_private_keys is None,
        ),
        "sign": ("PARKSHARE_JWT_PRIVATE_KEYS", settings.jwt_private_keys is None),
        "secret": ("PARKSHARE_SECRET_KEY", settings.secret_key is None),
    }
    missing = [unset[need][0] for need in needs if unset[need][1]]
    if missing:
        raise Unconfigured(f"PARKSHARE_EMBEDDED is false and {', '.join(missing)} is not set")


def function_name(target: str, source: str | None) -> str | None:
    """The folder of the function `target`/`source` name, if it is one of ours."""
    from parkshare import functions

    for name in functions.NAMES:
        if source is not None:
            if Path(source).resolve() == functions.source_of(name).resolve():
                return name
        elif functions.target_of(name) == target:
            return name
    return None


def needs_of(name: str | None) -> tuple[str, ...]:
    # auth signs tokens and opens sealed SSO secrets; admin seals them; all others verify.
    extra = {"auth": ("sign", "secret"), "admin": ("secret",)}.get(name or "", ())
    return ("database", "redis", "verify", *extra)


def function_app(target: str, source: str | None = None, signature_type: str = "http") -> ASGIApp:
    from parkshare import functions

    name = function_name(target, source)
    websocket: ASGIApp | None = None
    if name is None:
        # Not one of ours: exactly the framework's own loading.
        from functions_framework.aio import create_asgi_app

        app: ASGIApp = create_asgi_app(target, source, signature_type)  # type: ignore[no-untyped-call]
    else:
        # The same module object and app the gateway mounts (parkshare.functions).
        app = functions.load(name)
        websocket = getattr(functions.module(name), "websocket", None)
    served: ASGIApp = Served(app, websocket)
    origins = cors_origins(get_settings())
    if origins:
        from starlette.middleware.cors import CORSMiddleware

        served = CORSMiddleware(
            served,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=CORS_HEADERS,
            expose_headers=["x-request-id", "retry-after", "www-authenticate"],
            max_age=600,
        )
    return served


def _has_websocket(app: ASGIApp) -> bool:
    while not isinstance(app, Served):  # under the middlewares around it
        app = app.app  # type: ignore[attr-defined]  # a middleware around it
    return app.websocket is not None


def cors_origins(settings: Settings) -> list[str]:
    return [o.strip().rstrip("/") for o in settings.cors_origins.split(",") if o.strip()]


class Served:
    """One function's HTTP app, with its WebSocket app at the root (if it has one) and a
    lifespan that closes the process's pool and Redis client when the server stops."""

    def __init__(self, http: ASGIApp, websocket: ASGIApp | None) -> None:
        self.http = http
        self.websocket = websocket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "websocket":
            if self.websocket is not None and scope["path"] in ("", "/"):
                await self.websocket(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008})  # refused: HTTP 403
        else:
            await self.http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await close_clients()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def close_clients() -> None:
    from parkshare.store import db

    await db.close_pool()
    # Most functions never use Redis: importing its client only to close none is ~40 ms of
    # a shutdown.
    redis_client = sys.modules.get("parkshare.store.redis_client")
    if redis_client is not None:
        await redis_client.close_redis()


def run(app: ASGIApp, host: str, port: int, *, websockets: bool) -> None:
    """uvicorn with JSON logs (parkshare.logs) and no access log of its own: the functions
    log each request with its id, and probes every few seconds are no news. Without
    `websockets`, uvicorn loads no WebSocket implementation (~30 ms of a cold start)."""
    import uvicorn

    from parkshare import logs

    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=False,
        lifespan="on",
        ws="auto" if websockets else "none",
        # Events are small JSON: compressing each for each socket costs more CPU than it
        # saves (bench-live: p50 4x lower without it).
        ws_per_message_deflate=False,
        # Behind Knative the client address arrives in X-Forwarded-For from the cluster's
        # proxies: uvicorn trusts it from FORWARDED_ALLOW_IPS (read from the environment).
    )
    # Everything imported before serving (uvicorn's protocols and event loop too), then what
    # startup made kept out of every later collection, and collection back on where the
    # launcher turned it off (parkshare.run.launch).
    config.load()
    config.get_loop_factory()
    gc.freeze()
    gc.enable()
    uvicorn.Server(config).run()


def serve_function(
    target: str, source: str | None, signature_type: str, host: str, port: int
) -> None:
    settings = get_settings()
    require(settings, *needs_of(function_name(target, source)))
    # The framework's convention, which the metrics read for requests outside the Router.
    os.environ["FUNCTION_TARGET"] = target
    app = function_app(target, source, signature_type)
    run(app, host, port, websockets=_has_websocket(app))


def serve_relay(host: str, port: int) -> None:
    require(get_settings(), "database", "redis", "verify")
    from parkshare.live.relay import app

    run(app, host, port, websockets=True)


# --- the web app ----------------------------------------------------------------------


def web_app(dist: Path, config: Path | None) -> Starlette:
    """The built SPA with `config.json` from `config` (a mounted ConfigMap) when given, deep
    links answered with index.html, and `/healthz` `/readyz` for the probes."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Mount, Route

    from parkshare import metrics
    from parkshare.headers import SecurityHeaders
    from parkshare.http import http_problem
    from parkshare.run.spa import ConfiguredOrigins, SpaFiles

    async def config_json(request: Request) -> Response:
        assert config is not None
        return FileResponse(
            config, media_type="application/json", headers={"Cache-Control": "no-cache"}
        )

    async def ready(request: Request) -> Response:
        parts = {
            "app": "ok" if (dist / "index.html").is_file() else "unavailable",
            "config": "ok" if config is None or config.is_file() else "unavailable",
        }
        healthy = all(v == "ok" for v in parts.values())
        return JSONResponse(
            {"status": "ok" if healthy else "unavailable", **parts},
            status_code=200 if healthy else 503,
        )

    routes: list[Any] = metrics.probes(ready)
    if config is not None:
        routes.append(Route("/config.json", config_json, methods=["GET"]))
    routes.append(Mount("/", app=SpaFiles(directory=dist, html=True, check_dir=False)))
    # The functions and the relay live at other origins: the page may connect to those.
    headers = Middleware(
        SecurityHeaders,
        connect=ConfiguredOrigins(config or dist / "config.json"),
    )
    return Starlette(
        routes=routes,
        middleware=[headers],
        exception_handlers={HTTPException: http_problem},
    )


def serve_web(host: str, port: int) -> None:
    settings = get_settings()
    dist = settings.web_dist or WEB_DIST
    if not (dist / "index.html").is_file():
        raise Unconfigured(f"{dist} holds no built web app (npm ci && npm run build in web/)")
    run(web_app(dist, settings.web_config), host, port, websockets=False)
