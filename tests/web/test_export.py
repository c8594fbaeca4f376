"""The admin's CSV export in real Chromium: the Export section downloads the chosen kind for
the last 30 local days by default, as a file the csv module reads back."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from tests.servers import DevServer
from tests.web.conftest import Browsers
from tests.web.test_garage import go, sign_in

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
