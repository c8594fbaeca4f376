"""Recurring sharing in real Chromium: an owner shares a new spot every weekday 08:00-18:00
from "My spots" (by keyboard), another resident's garage shows tomorrow's window and the
weekly summary, books part of it, and the owner takes tomorrow and the day after off:
the booking is shown before confirming, cancelled and refunded when the owner says so, and
those days' windows are gone from the other resident's view; stopping the pattern ends it.
axe-core checks the new form and dialog."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

from playwright.async_api import Locator, Page, expect

from tests.servers import DevServer
from tests.web.conftest import DESKTOP, Browsers, artifact
from tests.web.test_garage import (
    LIVE_TIMEOUT_MS,
    ZONE,
    card,
    credits,
    expect_credits,
    go,
    local_input,
    serious_violations,
    sign_in,
)

SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAYTIME = "08:00\u201318:00"  # with the en dash the app writes ranges with
INSIDE_DIALOG = "!!document.activeElement?.closest('dialog[open]')"


def summary(weekdays: set[int]) -> str:
    """The garage's words for the days shared (as the server's summary puts them)."""
    days = sorted(weekdays)
    if days == [1, 2, 3, 4, 5]:
        words = "weekdays"
    elif days == [1, 2, 3, 4, 5, 6, 7]:
        words = "every day"
    else:
        words = ", ".join(SHORT[d - 1] for d in days)
    return f"Free {words} {DAYTIME}"


async def focused_text(page: Page) -> str | None:
    text: str | None = await page.evaluate("document.activeElement?.textContent ?? null")
    return text


async def add_spot(page: Page, label: str) -> Locator:
    await go(page, "My spots")
    await page.get_by_label("Label", exact=True).fill(label)
    await page.get_by_role("button", name="Add spot").click()
    mine = page.locator(f'[data-testid="my-spot"][data-spot-label="{label}"]')
    await expect(mine).to_be_visible()
    await expect(mine).not_to_have_attribute("aria-busy", "true")
    return mine


async def show_tomorrow(page: Page) -> None:
    await go(page, "Garage")
    # The window's choices stay open while the garage is on screen.
    hidden = page.get_by_role("button", name="Change window")
    await expect(hidden.or_(page.get_by_role("button", name="Hide window"))).to_be_visible()
    if await hidden.count():
        await hidden.click()
    await page.get_by_role("group", name="Windows").get_by_role("button", name="Tomorrow").click()


def timeline_days(page: Page) -> Locator:
    """Today, tomorrow and the day after on a spot's timeline, one item each."""
    return page.locator("main ol > li")


async def test_an_owner_shares_every_weekday_and_takes_two_days_off(
    dev_server: DevServer, browsers: Browsers, axe_script: Path
) -> None:
    today = datetime.now(ZONE).date()
    tomorrow, after = today + timedelta(days=1), today + timedelta(days=2)
    # Every weekday, and tomorrow and the day after whatever they are: the test must see
    # tomorrow's window on a Friday or a Saturday too.
    weekdays = {1, 2, 3, 4, 5, tomorrow.isoweekday(), after.isoweekday()}
    words = summary(weekdays)
    label = f"REC-{uuid.uuid4().hex[:4].upper()}"

    # axe-core is injected as an inline script, which the app's policy refuses.
    owner = await browsers.page(bypass_csp=True)
    await sign_in(owner, dev_server.base, "alice")
    mine = await add_spot(owner, label)

    # "Share every…" and its day chips, from the keyboard.
    toggle = mine.get_by_role("button", name="Share every…")
    await toggle.focus()
    await owner.keyboard.press("Enter")
    form = mine.get_by_role("form", name=f"Share {label} every week")
    await expect(form).to_be_visible()
    for iso, day in enumerate(SHORT, start=1):
        await owner.keyboard.press("Tab")
        assert await focused_text(owner) == day, f"Tab did not reach {day}"
        chip = form.get_by_role("button", name=day, exact=True)
        if (await chip.get_attribute("aria-pressed") == "true") != (iso in weekdays):
            await owner.keyboard.press("Space")
        await expect(chip).to_have_attribute("aria-pressed", str(iso in weekdays).lower())
    await expect(form.get_by_label("From")).to_have_value("08:00")
    await expect(form.get_by_label("Until")).to_have_value("18:00")
    preview = form.get_by_role("list", name="Next times")
    await expect(preview.locator(f'[data-date="{tomorrow.isoformat()}"]')).to_be_visible()
    assert not await serious_violations(owner), "the share-every form"
    await owner.set_viewport_size({"width": 360, "height": 740})
    overflow = await owner.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"My spots with the form open is {overflow} px wider than a phone"
    await mine.screenshot(path=str(artifact("share-every-phone.png")))
    await owner.set_viewport_size({"width": DESKTOP["width"], "height": DESKTOP["height"]})

    await form.get_by_role("button", name="Start sharing").click()
    await expect(form).to_be_hidden()
    pattern = mine.get_by_test_id("pattern")
    await expect(pattern).to_contain_text(words)

    # Another resident: the summary on the card, tomorrow's window in the garage and on the
    # spot's timeline.
    parker = await browsers.page()
    await sign_in(parker, dev_server.base, "bob")
    await expect(card(parker, label).get_by_test_id("recurring")).to_have_text(words)
    await show_tomorrow(parker)
    await expect(card(parker, label)).to_contain_text("Free for your whole window")
    await card(parker, label).get_by_role("link", name=f"Timeline of {label}").click()
    days = timeline_days(parker)
    await expect(days).to_have_count(3)
    await expect(days.nth(1)).to_contain_text(f"Free {DAYTIME}")
    await expect(days.nth(2)).to_contain_text(f"Free {DAYTIME}")

    # The resident books part of tomorrow's window.
    before = await credits(parker)
    await show_tomorrow(parker)
    await card(parker, label).get_by_role("button", name="Reserve").click()
    reserve = parker.get_by_role("dialog")
    start = datetime.combine(tomorrow, datetime.min.time(), ZONE).replace(hour=9)
    await reserve.get_by_label("From").fill(local_input(start))
    await reserve.get_by_label("Until").fill(local_input(start + timedelta(hours=2)))
    await reserve.get_by_role("button", name="Confirm reservation").click()
    await expect(reserve).to_be_hidden()
    await expect_credits(parker, before - 3)

    # Time off, opened from the keyboard; Escape gives the focus back.
    time_off = pattern.get_by_role("button", name="Time off")
    await time_off.focus()
    await owner.keyboard.press("Enter")
    dialog = owner.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    assert await owner.evaluate(INSIDE_DIALOG), "the focus is not in the dialog"
    await owner.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(time_off).to_be_focused()

    await owner.keyboard.press("Enter")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("First day").fill(tomorrow.isoformat())
    await dialog.get_by_label("Last day").fill(after.isoformat())
    # Before confirming: the booking it would cancel (the owner's page heard of it live).
    await expect(dialog).to_contain_text(
        "1 booking would be cancelled and refunded", timeout=LIVE_TIMEOUT_MS
    )
    assert not await serious_violations(owner), "the time-off dialog"
    await dialog.get_by_role("button", name="Take time off").click()
    # The server finds the booking too: the owner chooses to cancel it.
    refund = dialog.get_by_role("button", name="Cancel those bookings and refund")
    await expect(refund).to_be_visible()
    assert not await serious_violations(owner), "the time-off dialog, asking to cancel"
    await dialog.screenshot(path=str(artifact("time-off-dialog.png")))
    await refund.click()
    await expect(dialog).to_be_hidden()
    await expect(pattern).to_contain_text(f"Time off: {tomorrow} to {after}")

    # The resident got the credits back; tomorrow and the day after are no longer shared.
    await expect_credits(parker, before)
    await show_tomorrow(parker)
    await expect(card(parker, label)).to_contain_text(
        "Not free in your window", timeout=LIVE_TIMEOUT_MS
    )
    await card(parker, label).get_by_role("link", name=f"Timeline of {label}").click()
    days = timeline_days(parker)
    await expect(days.nth(1)).to_contain_text("Not shared.")
    await expect(days.nth(2)).to_contain_text("Not shared.")

    # Stopping ends it: no pattern on the owner's side, no summary on the garage card.
    await pattern.get_by_role("button", name="Stop").click()
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Stop", exact=True).click()
    await expect(dialog).to_be_hidden()
    await expect(pattern).to_have_count(0)
    await go(parker, "Garage")
    await expect(card(parker, label)).to_be_visible()
    await expect(card(parker, label).get_by_test_id("recurring")).to_have_count(0)
