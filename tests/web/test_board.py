"""The lobby board in real Chromium, at a lobby screen's two shapes (1920x1080 and portrait
1080x1920): the garage per level with its free counts, no resident named anywhere; a booking
another resident makes turns its spot taken without a reload (live over the relay with the
display's token); revoking the display blanks the screen; an admin makes and revokes one in
the app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.servers import DevServer
from tests.web.conftest import DESKTOP, PHONE, Browsers, artifact
from tests.web.test_garage import (
    LIVE_TIMEOUT_MS,
    PASSWORD,
    email,
    go,
    serious_violations,
    sign_in,
)

LANDSCAPE = {"width": 1920, "height": 1080}
PORTRAIT = {"width": 1080, "height": 1920}
# The demo's people, as the garage names them to residents.
NAMES = ("Alice", "Bob", "Carol", "Dave", "Demo Admin", "@demo.parkshare.test")


def login(http: httpx.Client, name: str) -> dict[str, str]:
    answer = http.post("/auth/login", json={"email": email(name), "password": PASSWORD})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def new_display(base: str, name: str) -> dict[str, Any]:
    with httpx.Client(base_url=base + "/fn", timeout=10) as http:
        made = http.post("/admin/displays", json={"name": name}, headers=login(http, "admin"))
        made.raise_for_status()
        display: dict[str, Any] = made.json()
        return display


def revoke(base: str, display: dict[str, Any]) -> None:
    with httpx.Client(base_url=base + "/fn", timeout=10) as http:
        http.post(
            "/admin/displays/revoke",
            json={"display_id": display["id"]},
            headers=login(http, "admin"),
        ).raise_for_status()


def book_a_free_spot(base: str, parker: str) -> str:
    """`parker` books, from their own client, a spot that is free now (from a minute ago for
    an hour, so it is taken at once); answers its label."""
    start = datetime.now(UTC) - timedelta(minutes=1)
    window = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
    with httpx.Client(base_url=base + "/fn", timeout=10) as http:
        auth = login(http, parker)
        me = http.get("/me", headers=auth).json()["user"]["id"]
        spots = http.get(
            "/list-spots", params={**window, "available_only": "true"}, headers=auth
        ).json()["spots"]
        spot = next(s for s in spots if s["owner"]["id"] != me and s["status_now"] == "free")
        booked = http.post("/reserve", json={"spot_id": spot["id"], **window}, headers=auth)
        booked.raise_for_status()
        return str(spot["label"])


async def open_board(browsers: Browsers, base: str, token: str, viewport: dict[str, int]) -> Page:
    page = await browsers.page(viewport=viewport)
    await page.goto(f"{base}/board#{token}")
    await expect(page.get_by_test_id("board")).to_be_visible()
    await expect(page.get_by_test_id("board-live")).to_have_attribute("data-state", "live")
    return page


async def assert_fits_and_names_nobody(page: Page, viewport: dict[str, int]) -> None:
    text = await page.inner_text("body")
    for name in NAMES:
        assert name not in text, f"the board names {name!r}"
    tiles = page.get_by_test_id("board-spot")
    assert await tiles.count() >= 6  # the demo's spots
    for i in range(await tiles.count()):
        box = await tiles.nth(i).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 0.5
        assert box["y"] + box["height"] <= viewport["height"] + 0.5, "a spot is off the screen"


async def test_the_board_turns_a_spot_taken_live_and_names_nobody(
    dev_server: DevServer, browsers: Browsers
) -> None:
    display = new_display(dev_server.base, "Lobby")
    landscape = await open_board(browsers, dev_server.base, display["token"], LANDSCAPE)
    portrait = await open_board(browsers, dev_server.base, display["token"], PORTRAIT)
    # The demo's spots are all on level -1.
    level = landscape.locator('[data-testid="board-level"][data-level="Level -1"]')
    await expect(level).to_be_visible()
    await expect(landscape.get_by_role("heading", name="Demo")).to_be_visible()
    for page, viewport in ((landscape, LANDSCAPE), (portrait, PORTRAIT)):
        await assert_fits_and_names_nobody(page, viewport)
    free_before = int((await level.get_by_test_id("level-free").inner_text()).split()[0])

    label = book_a_free_spot(dev_server.base, "bob")
    for page in (landscape, portrait):
        tile = page.locator(f'[data-testid="board-spot"][data-label="{label}"]')
        await expect(tile).to_have_attribute("data-status", "reserved", timeout=LIVE_TIMEOUT_MS)
        await expect(tile).to_contain_text("Taken")
        await expect(tile).to_contain_text("until")
    await expect(level.get_by_test_id("level-free")).to_contain_text(f"{free_before - 1} free")
    for page, viewport in ((landscape, LANDSCAPE), (portrait, PORTRAIT)):
        await assert_fits_and_names_nobody(page, viewport)
    await landscape.screenshot(path=str(artifact("board-1920x1080.png")))
    await portrait.screenshot(path=str(artifact("board-1080x1920.png")))


async def test_revoking_the_display_blanks_its_screen(
    dev_server: DevServer, browsers: Browsers
) -> None:
    display = new_display(dev_server.base, "Garage door")
    page = await open_board(browsers, dev_server.base, display["token"], LANDSCAPE)
    revoke(dev_server.base, display)
    await expect(page.get_by_role("heading", name="This display is not active")).to_be_visible(
        timeout=10_000
    )
    await expect(page.get_by_test_id("board-spot")).to_have_count(0)


async def test_an_admin_makes_a_display_and_revokes_it_in_the_app(
    dev_server: DevServer, browsers: Browsers
) -> None:
    admin = await browsers.page()
    await sign_in(admin, dev_server.base, "admin")
    await go(admin, "Admin")
    await admin.get_by_role("link", name="Displays", exact=True).click()
    await admin.get_by_label("Where it hangs").fill("Lift lobby")
    await admin.get_by_role("button", name="Create display").click()
    link = await admin.get_by_role("textbox", name="Board link (shown once)").input_value()
    assert link.startswith(dev_server.base + "/board#")
    row = admin.get_by_test_id("display").filter(has_text="Lift lobby")
    await expect(row).to_contain_text("never seen")

    screen = await browsers.page(viewport=PORTRAIT)
    await screen.goto(link)
    await expect(screen.get_by_test_id("board-live")).to_have_attribute("data-state", "live")
    await admin.reload()
    await expect(row).to_contain_text("last seen")

    await row.get_by_role("button", name="Revoke").click()
    await row.get_by_role("button", name="Revoke for good").click()
    await expect(row).to_have_count(0)
    await expect(screen.get_by_role("heading", name="This display is not active")).to_be_visible(
        timeout=10_000
    )


async def test_a_board_without_a_token_says_so(dev_server: DevServer, browsers: Browsers) -> None:
    page = await browsers.page(viewport=LANDSCAPE)
    await page.goto(f"{dev_server.base}/board")
    await expect(page.get_by_role("heading", name="No display token")).to_be_visible()


async def test_the_board_and_the_displays_panel_have_no_serious_accessibility_issue(
    dev_server: DevServer, browsers: Browsers, axe_script: Path
) -> None:
    display = new_display(dev_server.base, "Accessible lobby")
    # axe-core is injected as an inline script, which the app's policy refuses.
    board = await browsers.page(viewport=LANDSCAPE, bypass_csp=True)
    await board.goto(f"{dev_server.base}/board#{display['token']}")
    await expect(board.get_by_test_id("board-spot").first).to_be_visible()
    found = {"board": await serious_violations(board)}
    for scheme in ("light", "dark"):
        page = await browsers.page(color_scheme=scheme, bypass_csp=True)
        await sign_in(page, dev_server.base, "admin")
        await go(page, "Admin")
        await page.get_by_role("link", name="Displays", exact=True).click()
        await expect(page.get_by_test_id("display").first).to_be_visible()
        found[f"displays ({scheme})"] = await serious_violations(page)
    failing = {screen: issues for screen, issues in found.items() if issues}
    assert not failing, failing


async def test_board_screenshots_in_light_and_dark_at_phone_and_desktop_sizes(
    dev_server: DevServer, browsers: Browsers
) -> None:
    """The board is one high-contrast scheme by design, whatever the screen prefers: the same
    picture in a light and a dark browser, at phone and desktop sizes, everything on screen."""
    display = new_display(dev_server.base, "Screenshots")
    for scheme in ("light", "dark"):
        for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page = await browsers.page(viewport=size, color_scheme=scheme)
            await page.goto(f"{dev_server.base}/board#{display['token']}")
            await expect(page.get_by_test_id("board-live")).to_have_attribute("data-state", "live")
            await assert_fits_and_names_nobody(page, size)
            await page.screenshot(path=str(artifact(f"board-{scheme}-{size_name}.png")))
