"""The local gateway: every function at /fn/<name>, the built web app at /, health and the
API description, and the relay at /ws, on one origin.

It serves the very ASGI apps functions-framework builds, unchanged; it is a development and
small-building convenience, not a second implementation. Run it with
`uvicorn parkshare.run.gateway:create_app --factory` or `parkshare dev`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from parkshare import functions, metrics, openapi
from parkshare.headers import SecurityHeaders, content_security_policy, script_hash
from parkshare.http import http_problem
from parkshare.live import relay
from parkshare.run.spa import SpaFiles
from parkshare.store import db
from parkshare.store.redis_client import close_redis

log = logging.getLogger("parkshare.run.gateway")
WEB_DIST = Path(__file__).resolve().parents[3] / "web" / "dist"

_DOCS_SCRIPT = """
fetch('/openapi.json').then(r => r.json()).then(doc => {
  const out = document.getElementById('ops'); out.textContent = '';
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const div = document.createElement('div'); div.className = 'op';
      const codes = Object.entries(op.responses).map(([s, r]) => s + ' ' + r.description);
      div.innerHTML = '<span class="m"></span><code></code><p></p><small></small>';
      div.children[0].textContent = method; div.children[1].textContent = path;
      div.children[2].textContent = op.summary || '';
      div.children[3].textContent = codes.join(' · ');
      out.appendChild(div);
    }
  }
});
"""

_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>parkshare API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
 h2{margin-top:2rem} code{background:#eee;padding:0 .2rem}
 .op{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:.5rem 0}
 .m{font-weight:bold;text-transform:uppercase;margin-right:.5rem}
 @media (prefers-color-scheme: dark){body{background:#111;color:#eee}code{background:#333}}
</style></head><body>
<h1>parkshare API</h1>
<p>Generated from the functions; the machine-readable document is
<a href="/openapi.json">/openapi.json</a>. Send <code>Authorization: Bearer &lt;token&gt;</code>
from <code>POST /fn/auth/login</code>.</p>
<div id="ops">Loading…</div>
<script>{script}</script></body></html>""".replace("{script}", _DOCS_SCRIPT)

_NOT_BUILT_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>parkshare</title></head><body style="font-family:system-ui;margin:2rem">
<h1>parkshare</h1><p>The web app is not built yet (<code>web/dist</code> is missing).
The functions answer under <code>/fn/…</code>; see <a href="/docs">the API</a>.</p>
</body></html>"""


async def readyz(request: Request) -> Response:
    """Both servers, as the functions behind the gateway use them: 503 "degraded" if either
    does not answer."""
    return await metrics.ready(
        {"postgres": metrics.postgres_answers, "redis": metrics.redis_answers},
        unhealthy="degraded",
    )


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi.document())


async def docs(request: Request) -> Response:
    # The page's one inline script, and the app's policy otherwise.
    policy = content_security_policy(scripts=(script_hash(_DOCS_SCRIPT),))
    return HTMLResponse(_DOCS_PAGE, headers={"Content-Security-Policy": policy})


_EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]


async def no_function(request: Request) -> Response:
    """/fn/<name> of no function, or any path under it."""
    raise HTTPException(404)


async def not_built(request: Request) -> Response:
    return HTMLResponse(_NOT_BUILT_PAGE)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await relay.startup()
    yield
    await relay.shutdown()
    await db.close_pool()
    await close_redis()


class _FunctionRoots:
    """`/fn/<name>` is the function's own root, as `/` is on its own Knative URL; Starlette's
    Mount only matches below it and would answer a redirect that POST clients do not follow."""

    def __init__(self, app: ASGIApp, names: tuple[str, ...]) -> None:
        self.app = app
        self.roots = {f"/fn/{name}" for name in names}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.roots:
            scope = dict(scope, path=scope["path"] + "/", raw_path=scope["path"].encode() + b"/")
        await self.app(scope, receive, send)


def create_app() -> Starlette:
    routes: list[BaseRoute] = [
        *metrics.probes(readyz),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/docs", docs, methods=["GET"]),
        WebSocketRoute("/ws", relay.endpoint),
    ]
    names = functions.available()
    for name in sorted(set(functions.NAMES) - set(names)):
        # A function still being written must not keep the others from being served.
        log.warning("functions/%s/main.py is missing: /fn/%s is not served", name, name)
    if "graphql" in names:
        # Subscriptions: the GraphQL function's websocket app, at the function's own path.
        routes.append(WebSocketRoute("/fn/graphql", functions.module("graphql").websocket))
    routes += [Mount(f"/fn/{name}", app=functions.load(name)) for name in names]
    routes += [Route(path, no_function, methods=_EVERY_METHOD) for path in ("/fn", "/fn/{_:path}")]
    if WEB_DIST.is_dir():
        routes.append(Mount("/", app=SpaFiles(directory=WEB_DIST, html=True)))
    else:
        routes.append(Route("/", not_built, methods=["GET"]))
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders), Middleware(_FunctionRoots, names=names)],
        exception_handlers={HTTPException: http_problem},
    )
