"""The headers of every answer: `X-Content-Type-Options: nosniff` on all of them, and on
HTML pages a Content-Security-Policy (no framing, scripts only from the app's origin), the
refusal to be framed and a Referrer-Policy. One middleware for the gateway, `parkshare web`
and a function served alone; a page that needs another policy (GraphiQL, the API page) sets
its own and keeps it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(
    *,
    scripts: Iterable[str] = (),
    styles: Iterable[str] = (),
    connect: Iterable[str] = (),
    fonts: Iterable[str] = (),
) -> str:
    """The app's policy, widened by the given sources."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *scripts],
        # React and the charts set style properties; Tailwind's CSS is a file.
        "style-src": ["'self'", "'unsafe-inline'", *styles],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:", *fonts],
        "connect-src": ["'self'", *connect],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script."""
    digest = hashlib.sha256(script.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


APP_POLICY = content_security_policy()
# GraphiQL (strawberry's page) loads its scripts and styles from unpkg and runs inline ones.
GRAPHIQL_POLICY = content_security_policy(
    scripts=("'unsafe-inline'", "https://unpkg.com"),
    styles=("https://unpkg.com",),
    fonts=("https://unpkg.com",),
)

_EVERY = {"x-content-type-options": "nosniff"}
_HTML = {
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


class SecurityHeaders:
    """ASGI middleware: nosniff on every HTTP answer; on HTML ones, `html_policy` and the
    framing and referrer headers, unless the page set its own."""

    def __init__(
        self,
        app: ASGIApp,
        html_policy: str = APP_POLICY,
        connect: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        self.app = app
        self.html_policy = html_policy
        # Where the page may connect beyond its origin, when that can change while serving.
        self.connect = connect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _EVERY.items():
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    policy = self.html_policy
                    if self.connect is not None:
                        policy = content_security_policy(connect=self.connect())
                    headers.setdefault("content-security-policy", policy)
                    for name, value in _HTML.items():
                        headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, stamped)
