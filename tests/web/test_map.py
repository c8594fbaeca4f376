"""The garage map in real Chromium: the admin uploads a level's plan and places two spots on
it from the admin's Map section (one from the keyboard, one dragged from the list); a
resident opens the garage's Map view, sees both in their status, and one turns taken without
a reload when another resident books it; a tap on a spot opens the booking dialog. The map
fits a 360 px phone; screenshots in light and dark at phone and desktop sizes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from playwright.async_api import FilePayload, Locator, Page, expect

from tests.images import png
from tests.servers import DevServer
from tests.web.conftest import DESKTOP, PHONE, Browsers, artifact
from tests.web.test_garage import (
    LIVE_TIMEOUT_MS,
    PASSWORD,
    email,
    go,
    reserve,
    serious_violations,
    sign_in,
)

# Shared all the time in the demo, so free now whatever the hour.
FIRST, SECOND = "B1-02", "B1-05"


def map_spot(page: Page, label: str) -> Locator:
    return page.locator(f'[data-testid="map-spot"][data-spot-label="{label}"]')


def place_button(page: Page, label: str) -> Locator:
    return page.locator(f'[data-testid="place-spot"][data-spot-label="{label}"]')


async def draw_the_map(page: Page) -> None:
    await go(page, "Admin")
    await (
        page.get_by_role("navigation", name="Admin sections")
        .get_by_role("link", name="Map")
        .click()
    )
    await page.get_by_label("Level", exact=True).fill("B1")
    plan_file: FilePayload = {"name": "plan.png", "mimeType": "image/png", "buffer": png(480, 320)}
    await page.get_by_label("Image").set_input_files(files=[plan_file])
    await page.get_by_role("button", name="Upload the plan").click()
    plan = page.get_by_test_id("admin-plan")
    await expect(plan.get_by_role("img")).to_be_visible()

    # The keyboard: select, move with the arrows (from the middle), Enter saves.
    first = place_button(page, FIRST)
    await first.focus()
    await page.keyboard.press("Enter")
    await expect(first).to_have_attribute("aria-pressed", "true")
    for _ in range(2):
        await page.keyboard.press("Shift+ArrowLeft")
    await page.keyboard.press("Shift+ArrowUp")
    await page.keyboard.press("Enter")
    await expect(first).to_contain_text("at 40 %, 45 %")

    # The pointer: dragged from the list onto the plan, a quarter across and down.
    second = place_button(page, SECOND)
    await second.scroll_into_view_if_needed()
    source = await second.bounding_box()
    target = await plan.bounding_box()
    assert source is not None and target is not None
    await page.mouse.move(source["x"] + source["width"] / 2, source["y"] + source["height"] / 2)
    await page.mouse.down()
    await page.mouse.move(
        target["x"] + target["width"] * 0.75, target["y"] + target["height"] * 0.75, steps=8
    )
    await page.mouse.up()
    await page.screenshot(path=str(artifact("map-admin-placed-desktop.png")), full_page=True)
    await expect(second).to_contain_text("at 75 %, 75 %")


def draw_by_api(base: str) -> None:
    """The same map as `draw_the_map`, through the API (replacing it if it is there)."""
    with httpx.Client(base_url=base + "/fn", timeout=10) as http:
        login = http.post("/auth/login", json={"email": email("admin"), "password": PASSWORD})
        login.raise_for_status()
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        http.put("/admin/plans/B1", content=png(480, 320), headers=auth).raise_for_status()
        now = datetime.now(UTC)
        window = {"start": now.isoformat(), "end": (now + timedelta(hours=1)).isoformat()}
        spots = http.get("/list-spots", params=window, headers=auth).json()["spots"]
        ids = {s["label"]: s["id"] for s in spots}
        for label, x, y in ((FIRST, 0.4, 0.45), (SECOND, 0.75, 0.75)):
            place = {"spot_id": ids[label], "level": "B1", "x": x, "y": y}
            http.post("/admin/plans/place", json=place, headers=auth).raise_for_status()


async def open_map(page: Page) -> None:
    await go(page, "Garage")
    await page.get_by_role("button", name="Map", exact=True).click()
    await expect(page.get_by_test_id("garage-map").get_by_role("img")).to_be_visible()


async def test_a_resident_sees_the_drawn_map_change_live_and_books_from_it(
    dev_server: DevServer, browsers: Browsers
) -> None:
    admin = await browsers.page()
    await sign_in(admin, dev_server.base, "admin")
    await draw_the_map(admin)

    bob = await browsers.page(viewport=PHONE)
    await sign_in(bob, dev_server.base, "bob")
    await open_map(bob)
    await expect(map_spot(bob, FIRST)).to_have_attribute("data-status", "free")
    await expect(map_spot(bob, SECOND)).to_have_attribute("data-status", "free")
    await expect(map_spot(bob, FIRST)).to_contain_text("Free")
    await bob.screenshot(path=str(artifact("map-before-phone.png")))

    # Dave books the first spot from his list: Bob's map shows it taken, no reload.
    dave = await browsers.page()
    await sign_in(dave, dev_server.base, "dave")
    await reserve(dave, FIRST, now_for_hours=1)
    await expect(map_spot(bob, FIRST)).to_have_attribute(
        "data-status", "taken", timeout=LIVE_TIMEOUT_MS
    )
    await expect(map_spot(bob, FIRST)).to_contain_text("Taken")
    await expect(map_spot(bob, SECOND)).to_have_attribute("data-status", "free")

    # The zoom buttons and keys, panning by arrow keys; a tap on a spot opens the booking dialog.
    surface = bob.get_by_test_id("garage-map").locator("[style*='scale']").first
    await bob.get_by_role("button", name="Zoom in").click()
    await expect(surface).to_have_attribute("style", "transform: translate(0px, 0px) scale(1.25);")
    await bob.keyboard.press("ArrowLeft")
    await expect(surface).to_have_attribute("style", "transform: translate(40px, 0px) scale(1.25);")
    await bob.keyboard.press("-")
    await expect(surface).to_have_attribute("style", "transform: translate(0px, 0px) scale(1);")
    await map_spot(bob, SECOND).click()
    dialog = bob.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text(SECOND)
    await bob.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()

    overflow = await bob.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the map is {overflow} px wider than the phone"


async def test_the_map_and_its_admin_section_fit_a_360_px_phone(
    dev_server: DevServer, browsers: Browsers
) -> None:
    draw_by_api(dev_server.base)
    page = await browsers.page(viewport={"width": 360, "height": 740})
    await sign_in(page, dev_server.base, "admin")
    await open_map(page)
    await expect(map_spot(page, SECOND)).to_be_visible()
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the map is {overflow} px wider than a 360 px phone"
    await go(page, "Admin")
    await (
        page.get_by_role("navigation", name="Admin sections")
        .get_by_role("link", name="Map")
        .click()
    )
    await expect(page.get_by_test_id("admin-plan").get_by_role("img")).to_be_visible()
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the admin's map is {overflow} px wider than a 360 px phone"
    await page.screenshot(path=str(artifact("map-admin-360.png")), full_page=True)


# Run by the test command too (not only `just screenshots`): the map's pictures in every
# scheme and size are part of what a change to it is reviewed with.
async def test_map_screenshots_in_light_and_dark_at_phone_and_desktop_sizes(
    dev_server: DevServer, browsers: Browsers
) -> None:
    draw_by_api(dev_server.base)
    for scheme in ("light", "dark"):
        for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page = await browsers.page(viewport=size, color_scheme=scheme)
            await sign_in(page, dev_server.base, "bob")
            await open_map(page)
            await expect(map_spot(page, SECOND)).to_be_visible()
            await page.screenshot(
                path=str(artifact(f"map-{scheme}-{size_name}.png")), full_page=True
            )


async def test_the_map_and_its_admin_section_have_no_serious_accessibility_issue(
    dev_server: DevServer, browsers: Browsers, axe_script: Path
) -> None:
    draw_by_api(dev_server.base)
    found: dict[str, list[str]] = {}
    for scheme in ("light", "dark"):
        # axe-core is injected as an inline script, which the app's policy refuses.
        page = await browsers.page(color_scheme=scheme, bypass_csp=True)
        await sign_in(page, dev_server.base, "admin")
        await open_map(page)
        await expect(map_spot(page, SECOND)).to_be_visible()
        found[f"map ({scheme})"] = await serious_violations(page)
        await go(page, "Admin")
        await (
            page.get_by_role("navigation", name="Admin sections")
            .get_by_role("link", name="Map")
            .click()
        )
        await expect(page.get_by_test_id("admin-plan").get_by_role("img")).to_be_visible()
        found[f"admin map ({scheme})"] = await serious_violations(page)
    failing = {screen: issues for screen, issues in found.items() if issues}
    assert not failing, failing


async def test_the_admin_removes_a_plan_after_confirming(
    dev_server: DevServer, browsers: Browsers
) -> None:
    draw_by_api(dev_server.base)
    page = await browsers.page()
    await sign_in(page, dev_server.base, "admin")
    await go(page, "Admin")
    await (
        page.get_by_role("navigation", name="Admin sections")
        .get_by_role("link", name="Map")
        .click()
    )
    placing = page.get_by_role("heading", name="Spots on level B1")
    await expect(placing).to_be_visible()
    await page.get_by_role("button", name="Remove this plan").click()
    await page.get_by_role("button", name="Keep it").click()
    await expect(placing).to_be_visible()
    await page.get_by_role("button", name="Remove this plan").click()
    await page.get_by_role("button", name="Remove", exact=True).click()
    await expect(placing).to_be_hidden()
    # No plan left: the garage offers the list alone.
    await go(page, "Garage")
    await expect(page.get_by_test_id("spot-card").first).to_be_visible()
    await expect(page.get_by_role("button", name="Map", exact=True)).to_have_count(0)
