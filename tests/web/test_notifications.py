"""The bell in real Chromium: a booking made in one resident's browser raises the owner's
unread count in another without a reload, and the notifications page lists it and reads it."""

from __future__ import annotations

import uuid

from playwright.async_api import expect

from tests.servers import DevServer
from tests.web.conftest import Browsers
from tests.web.test_garage import LIVE_TIMEOUT_MS, go, reserve, share_new_spot, sign_in


async def test_a_booking_raises_the_owners_bell_live(
    dev_server: DevServer, browsers: Browsers
) -> None:
    label = f"BELL-{uuid.uuid4().hex[:4].upper()}"
    owner = await browsers.page()
    await sign_in(owner, dev_server.base, "carol")
    await share_new_spot(owner, label)
    await go(owner, "Garage")
    bell = owner.get_by_test_id("bell")
    await expect(bell).to_be_visible()
    before = int(await bell.get_attribute("data-unread") or "0")

    parker = await browsers.page()
    await sign_in(parker, dev_server.base, "dave")
    await reserve(parker, label)

    # Over the relay, no reload: the owner's count rises by the one spot.booked.
    await expect(bell).to_have_attribute("data-unread", str(before + 1), timeout=LIVE_TIMEOUT_MS)
    await bell.click()
    booked = owner.locator('[data-testid="notification"][data-kind="spot.booked"]').first
    await expect(booked).to_contain_text(label)
    await expect(booked).to_have_attribute("data-read", "false")
    await owner.get_by_role("button", name="Mark all read").click()
    await expect(bell).to_have_attribute("data-unread", "0")
    await expect(booked).to_have_attribute("data-read", "true")
    # The parker was told too: their own bell counts the confirmation.
    await expect(parker.get_by_test_id("bell")).not_to_have_attribute("data-unread", "0")
