"""Lighthouse's accessibility audit (its npm package, pinned in web/package.json, driving
Debian's Chromium) on the signed-in app's screens, the garage's Map view and a lobby
display's board: each scores at least 95."""

from __future__ import annotations

import json
import os
import subprocess

import httpx
import pytest

from tests.servers import DevServer
from tests.web.conftest import FIGURES, REPO
from tests.web.test_garage import PASSWORD, email
from tests.web.test_map import draw_by_api

SCRIPT = REPO / "web" / "scripts" / "lighthouse.mjs"
LIGHTHOUSE = REPO / "web" / "node_modules" / "lighthouse"
ROUTES = ["#/garage", "#/reservations", "#/my-spots", "#/garage/map"]


def new_display(base: str) -> str:
    """A lobby display's token, made by the building's admin."""
    with httpx.Client(base_url=base + "/fn", timeout=10) as http:
        login = http.post("/auth/login", json={"email": email("admin"), "password": PASSWORD})
        login.raise_for_status()
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        made = http.post("/admin/displays", json={"name": "Lobby"}, headers=auth)
        made.raise_for_status()
        token: str = made.json()["token"]
        return token


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
    draw_by_api(dev_server.base)
    board = f"/board#{new_display(dev_server.base)}"
    pages = audit(dev_server.base, chromium_path, "alice", [*ROUTES, board])
    assert [p["route"] for p in pages] == [*ROUTES, board]
    FIGURES.append(
        "Lighthouse accessibility: "
        + ", ".join(
            f"{str(p['route']).split('#')[0] or p['route']} {round(100 * float(str(p['score'])))}"
            for p in pages
        )
    )
    for page in pages[:-1]:
        assert page["signedIn"], page
    # What was audited: the Map view itself, and the board showing the garage.
    assert pages[-2]["map"] and pages[-1]["board"], pages[-2:]
    for page in pages:
        assert float(str(page["score"])) >= 0.95, page
