"""Serving the built web app: hashed assets cached for good, everything else revalidated,
and any path without a file extension answered with index.html (the app's own screens, as
deep links). The gateway and `parkshare web` serve it with this one class."""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# Hashed file names (Vite's assets/): a new build has new names, so these never go stale.
IMMUTABLE_PREFIX = "assets/"


class SpaFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            # A path with no file extension is one of the app's own screens.
            if exc.status_code != 404 or "." in PurePosixPath(path).name:
                raise
            response = await super().get_response("index.html", scope)
        immutable = path.startswith(IMMUTABLE_PREFIX) and response.status_code == 200
        response.headers["Cache-Control"] = (
            "public, max-age=31536000, immutable" if immutable else "no-cache"
        )
        return response


class ConfiguredOrigins:
    """The origins `config.json` sends the app to (the functions and the relay, on Knative
    each its own), for the page's connect-src; read again when the file changes (it is a
    mounted ConfigMap)."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self._seen: tuple[float, list[str]] | None = None

    def __call__(self) -> list[str]:
        try:
            changed = os.stat(self.config).st_mtime
        except OSError:
            return []
        if self._seen is None or self._seen[0] != changed:
            self._seen = (changed, _origins(self.config))
        return self._seen[1]


def _origins(config: Path) -> list[str]:
    try:
        document = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    urls = [*(document.get("functions") or {}).values(), document.get("relay")]
    found = []
    for url in urls:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts and parts.scheme in ("http", "https", "ws", "wss") and parts.netloc:
            found.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(found))
