"""Lighthouse's accessibility audit (its npm package, pinned in web/package.json, driving
Debian's Chromium) on the signed-in app's screens: each scores at least 95."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.servers import DevServer
from tests.web.conftest import FIGURES, REPO
from tests.web.test_garage import PASSWORD, email

SCRIPT = REPO / "web" / "scripts" / "lighthouse.mjs"
LIGHTHOUSE = REPO / "web" / "node_modules" / "lighthouse"
ROUTES = ["#/garage", "#/reservations", "#/my-spots"]


def audit(base: str, chromium: str, who: str, routes: list[str]) -> list[dict[str, object]]:
    if not LIGHTHOUSE.is_dir():
        pytest.skip("web/node_modules/lighthouse is missing: run npm ci in web/")
    done = subprocess.run(
        ["node", str(SCRIPT), base, email(who), PASSWORD, *routes],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO / "web",
        env={**os.environ, "CHROMIUM": chromium},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_lighthouse_accessibility_is_at_least_95_on_the_main_screens(
    dev_server: DevServer, chromium_path: str
) -> None:
    pages = audit(dev_server.base, chromium_path, "alice", ROUTES)
    assert [p["route"] for p in pages] == ROUTES
    FIGURES.append(
        "Lighthouse accessibility: "
        + ", ".join(f"{p['route']} {round(100 * float(str(p['score'])))}" for p in pages)
    )
    for page in pages:
        assert page["signedIn"], page
        assert float(str(page["score"])) >= 0.95, page
