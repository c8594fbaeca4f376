"""The installable app in real Chromium: its manifest and icons, a registered service worker,
and a reload with the network cut, which opens the app with the last garage it saw, marked
"Offline since …", while the API stays unanswered (no cached answer passes for a live one)."""

from __future__ import annotations

import struct

import httpx
from playwright.async_api import expect

from tests.servers import DevServer
from tests.web.conftest import Browsers, artifact
from tests.web.test_garage import sign_in


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", body[16:24])
    return width, height


async def test_the_app_installs_and_opens_offline_with_the_garage_it_saw(
    dev_server: DevServer, browsers: Browsers
) -> None:
    page = await browsers.page()
    await sign_in(page, dev_server.base, "bob")
    labels = await page.get_by_test_id("spot-card").evaluate_all(
        "cards => cards.map(c => c.dataset.spotLabel)"
    )
    assert labels

    # Installable: the manifest's fields and icons of the sizes it names.
    href = await page.locator('link[rel="manifest"]').get_attribute("href")
    assert href is not None
    with httpx.Client(base_url=dev_server.base + "/", timeout=10) as http:
        manifest = http.get(href).json()
        assert manifest["name"] == "parkshare"
        assert manifest["short_name"]
        assert manifest["display"] in {"standalone", "fullscreen", "minimal-ui"}
        assert manifest["start_url"] and manifest["scope"]
        sizes = set()
        for icon in manifest["icons"]:
            answer = http.get(icon["src"])
            assert answer.status_code == 200, icon
            assert answer.headers["content-type"] == icon["type"] == "image/png"
            width, height = png_size(answer.content)
            assert icon["sizes"] == f"{width}x{height}"
            sizes.add((width, icon["purpose"]))
        assert {(192, "any"), (512, "any"), (512, "maskable")} <= sizes

    # A service worker controls the page (it claims it once active).
    controlled = await page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.ready;
            if (!navigator.serviceWorker.controller)
                await new Promise((done) =>
                    navigator.serviceWorker.addEventListener('controllerchange', done));
            return Boolean(registration.active && navigator.serviceWorker.controller);
        }"""
    )
    assert controlled

    await page.context.set_offline(True)
    await page.reload()
    offline = page.get_by_test_id("offline")
    await expect(offline).to_contain_text("Offline since")
    await expect(offline).to_contain_text("not live")
    # The garage it saw, not an error page and not a blank one.
    shown = page.get_by_test_id("spot-card")
    await expect(shown.first).to_be_visible()
    assert await shown.evaluate_all("cards => cards.map(c => c.dataset.spotLabel)") == labels
    await page.screenshot(path=artifact("offline-garage-desktop.png"))
    # Nothing answers for the API meanwhile: a request to it fails as the network does.
    api = await page.evaluate("fetch('fn/me').then((r) => 'answered ' + r.status, () => 'failed')")
    assert api == "failed"

    # Back online, the banner goes and the garage is live again.
    await page.context.set_offline(False)
    await expect(offline).to_be_hidden(timeout=15_000)
    await expect(shown.first).to_be_visible()
