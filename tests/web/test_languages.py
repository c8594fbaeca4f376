"""The app in French and German in real Chromium: a resident picks French in the account
screen, and every main screen then shows no English, checked by walking each page's texts
and accessible names against the English catalogues' vocabulary (user data, marked
translate="no", is skipped); no catalogue key is missing; the choice survives a reload, is
saved for the next device, and German works the same way."""

from __future__ import annotations

import json
import re

from playwright.async_api import Page, expect

from tests.servers import DevServer
from tests.web.conftest import REPO, Browsers, artifact
from tests.web.test_garage import sign_in

LOCALES = REPO / "web" / "src" / "i18n" / "locales"
SCREENS = ["garage", "reservations", "my-spots", "credits", "notifications", "account", "admin"]
WORD = re.compile("[A-Za-z\u00c0-\u00ff\u2019']{4,}")

# Every text node and accessible name the page shows, outside user data (translate="no").
TEXTS = """() => {
  const out = [];
  const skip = (el) => el.closest('[translate="no"], script, style, noscript, [hidden]');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || skip(el) || getComputedStyle(el).display === 'none') continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  for (const el of document.body.querySelectorAll('[aria-label], [title], [placeholder]')) {
    if (skip(el)) continue;
    for (const name of ['aria-label', 'title', 'placeholder']) {
      const value = el.getAttribute(name);
      if (value) out.push(value);
    }
  }
  return out;
}"""


def _words(texts: list[str]) -> set[str]:
    return {w.lower() for text in texts for w in WORD.findall(text)}


def _catalogue_texts(language: str) -> list[str]:
    def strings(value: object) -> list[str]:
        if isinstance(value, str):
            return [re.sub(r"\{\{[^}]*\}\}", " ", value)]
        if isinstance(value, dict):
            return [s for inner in value.values() for s in strings(inner)]
        return []

    return [
        s
        for f in sorted((LOCALES / language).glob("*.json"))
        for s in strings(json.loads(f.read_text()))
    ]


def english_only(language: str) -> set[str]:
    """Words of the English catalogues that the other language's never uses."""
    return _words(_catalogue_texts("en")) - _words(_catalogue_texts(language))


async def untranslated(page: Page, english: set[str]) -> list[str]:
    texts: list[str] = await page.evaluate(TEXTS)
    return sorted({t for t in texts if _words([t]) & english})


async def walk(page: Page, language: str, missing: list[str]) -> dict[str, list[str]]:
    english = english_only(language)
    found: dict[str, list[str]] = {}
    for screen in SCREENS:
        await page.goto(page.url.split("#")[0] + f"#/{screen}")
        await page.wait_for_load_state("networkidle")
        # Whatever was loading has come (a spinner is a polite live region in main).
        await expect(page.locator('main [aria-live="polite"] svg')).to_have_count(0)
        left = await untranslated(page, english)
        if left:
            found[screen] = left
    assert not missing, f"keys missing from the catalogues: {missing}"
    return found


async def test_every_main_screen_speaks_french_then_german(
    dev_server: DevServer, browsers: Browsers
) -> None:
    page = await browsers.page()
    missing: list[str] = []
    page.on(
        "console",
        lambda message: missing.append(message.text) if "i18n: missing" in message.text else None,
    )
    await sign_in(page, dev_server.base, "admin")
    await page.goto(dev_server.base + "/#/account")
    await page.get_by_test_id("language").select_option("fr")
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.get_by_role("link", name="Garage").first).to_be_visible()

    found = await walk(page, "fr", missing)
    await page.goto(dev_server.base + "/#/garage")
    await expect(page.get_by_test_id("spot-card").first).to_be_visible()
    await page.screenshot(path=artifact("garage-fr-desktop.png"))
    assert not found, f"English left on French screens: {found}"

    # Remembered on this device: a reload stays in French.
    await page.reload()
    await expect(page.locator("html")).to_have_attribute("lang", "fr")

    # Saved for the next device: a fresh browser (its language English) signs in in French.
    other = await browsers.page(locale="en-US")
    await sign_in(other, dev_server.base, "admin")
    await expect(other.locator("html")).to_have_attribute("lang", "fr")

    await page.goto(dev_server.base + "/#/account")
    await page.get_by_test_id("language").select_option("de")
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    found = await walk(page, "de", missing)
    assert not found, f"English left on German screens: {found}"
