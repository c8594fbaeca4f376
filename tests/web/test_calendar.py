"""Calendar feeds in real Chromium: the account screen shows the resident's feed URL (which a
calendar client then reads), and New link replaces it; a booking's .ics download carries the
feed's UID for that reservation."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.servers import DevServer
from tests.web.conftest import Browsers
from tests.web.test_garage import go, reserve, share_new_spot, sign_in

FEED = re.compile(r"https?://[^/]+/fn/calendar/feed/[A-Za-z0-9_-]{43}\.ics")


async def account(page: Page) -> None:
    await page.get_by_role("link", name="Account").first.click()


async def feed_url(page: Page) -> str:
    field = page.get_by_role("textbox", name="Calendar link (https)")
    await expect(field).to_have_value(FEED)
    return await field.input_value()


async def test_the_account_screen_shows_the_feed_and_makes_a_new_link(
    dev_server: DevServer, browsers: Browsers
) -> None:
    page = await browsers.page()
    await sign_in(page, dev_server.base, "alice")
    await account(page)
    card = page.get_by_test_id("calendar-feed")
    await expect(card).to_be_visible()
    url = await feed_url(page)
    webcal = "webcal:" + url.split(":", 1)[1]
    await expect(page.get_by_role("textbox", name="Calendar link (webcal)")).to_have_value(webcal)
    subscribe = card.get_by_role("link", name="Subscribe in my calendar app")
    await expect(subscribe).to_have_attribute("href", webcal)
    read = httpx.get(url)
    assert read.status_code == 200 and read.text.startswith("BEGIN:VCALENDAR")

    await card.get_by_role("button", name="New link").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_role("button", name="Make a new link").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("textbox", name="Calendar link (https)")).not_to_have_value(url)
    fresh = await feed_url(page)
    assert httpx.get(url).status_code == 404
    assert httpx.get(fresh).status_code == 200


async def test_a_bookings_ics_carries_the_feeds_uid(
    dev_server: DevServer, browsers: Browsers, tmp_path: Path
) -> None:
    label = f"ICS-{uuid.uuid4().hex[:4].upper()}"
    owner = await browsers.page()
    await sign_in(owner, dev_server.base, "carol")
    await share_new_spot(owner, label)
    parker = await browsers.page()
    await sign_in(parker, dev_server.base, "dave")
    await reserve(parker, label)
    await go(parker, "My reservations")
    booking = parker.locator(f'[data-testid="reservation"][data-spot-label="{label}"]')
    async with parker.expect_download() as started:
        await booking.get_by_role("button", name=re.compile(r"to my calendar \(\.ics\)")).click()
    download = await started.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    text = saved.read_bytes().decode()
    assert download.suggested_filename.endswith(".ics")
    assert "\r\n" in text and f"SUMMARY:Parking {label}" in text
    (uid,) = re.findall(r"^UID:(.+)\r$", text, re.MULTILINE)

    await account(parker)
    feed = httpx.get(await feed_url(parker)).text
    assert f"UID:{uid}" in feed
