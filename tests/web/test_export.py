"""The admin's CSV export in real Chromium: the Export section downloads the chosen kind for
the last 30 local days by default, as a file the csv module reads back, whose reservations
match the bookings made."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import Page, expect

from tests.servers import DevServer
from tests.web.conftest import Browsers
from tests.web.test_garage import PASSWORD, email, go, sign_in

PARIS = ZoneInfo("Europe/Paris")  # the demo building's zone


async def download(page: Page, kind: str, folder: Path) -> tuple[str, list[dict[str, str]]]:
    await page.get_by_label("Data", exact=True).select_option(label=kind)
    async with page.expect_download() as started:
        await page.get_by_role("button", name="Download CSV").click()
    file = await started.value
    saved = folder / file.suggested_filename
    await file.save_as(saved)
    with saved.open(newline="", encoding="utf-8") as text:
        return file.suggested_filename, list(csv.DictReader(text))


async def test_the_admin_downloads_the_last_30_days_as_csv(
    dev_server: DevServer, browsers: Browsers, tmp_path: Path
) -> None:
    page = await browsers.page()
    await sign_in(page, dev_server.base, "admin")
    await go(page, "Admin")
    await page.get_by_role("link", name="Export", exact=True).click()
    today = datetime.now(PARIS).date()
    first = today - timedelta(days=29)
    await expect(page.get_by_label("First day", exact=True)).to_have_value(first.isoformat())
    await expect(page.get_by_label("Last day", exact=True)).to_have_value(today.isoformat())

    name, rows = await download(page, "Utilization per day and spot", tmp_path)
    # Whole days of Paris, which begin at 23:00 or 22:00 UTC on the day before.
    assert name == f"parkshare-utilization-{first.isoformat()}-{today.isoformat()}.csv"
    dates = sorted({r["date"] for r in rows})
    assert dates == [(first + timedelta(days=n)).isoformat() for n in range(30)]
    assert {r["timezone"] for r in rows} == {"Europe/Paris"}
    assert len(rows) % 30 == 0 and len(rows) >= 6 * 30

    name, rows = await download(page, "Ledger", tmp_path)
    assert name.startswith("parkshare-ledger-")
    assert "grant" in {r["kind"] for r in rows}


def book_through_the_api(base: str) -> dict[str, str]:
    """Bob books the first spot free for the next hour and a half, as the app would."""
    with httpx.Client(base_url=base + "/fn", timeout=10) as http:
        login = http.post("/auth/login", json={"email": email("bob"), "password": PASSWORD})
        login.raise_for_status()
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=20)
        window = {"start": start.isoformat(), "end": (start + timedelta(minutes=90)).isoformat()}
        spots = http.get(
            "/list-spots", params={**window, "available_only": "true"}, headers=auth
        ).json()["spots"]
        mine = {s["id"] for s in http.get("/me", headers=auth).json()["spots"]}
        spot = next(s for s in spots if s["id"] not in mine)
        booked = http.post("/reserve", json={"spot_id": spot["id"], **window}, headers=auth)
        booked.raise_for_status()
        return {**booked.json(), "label": spot["label"]}


async def test_the_exported_reservations_match_the_bookings_made(
    dev_server: DevServer, browsers: Browsers, tmp_path: Path
) -> None:
    booking = book_through_the_api(dev_server.base)
    page = await browsers.page()
    await sign_in(page, dev_server.base, "admin")
    await go(page, "Admin")
    await page.get_by_role("link", name="Export", exact=True).click()
    # The booking starts today or tomorrow: the last day shown must include it.
    last = datetime.fromisoformat(booking["start"]).astimezone(PARIS).date()
    await page.get_by_label("Last day", exact=True).fill(last.isoformat())

    name, rows = await download(page, "Reservations", tmp_path)
    assert name.startswith("parkshare-reservations-")
    [row] = [r for r in rows if r["id"] == booking["id"]]
    assert (row["spot"], row["parker"], row["status"]) == (booking["label"], "Bob", "booked")
    assert int(row["cost"]) == int(booking["cost"])
    for column in ("start", "end"):
        exported = datetime.fromisoformat(row[column].replace("Z", "+00:00"))
        assert exported == datetime.fromisoformat(booking[column].replace("Z", "+00:00"))
        assert exported.utcoffset() == timedelta(0)
