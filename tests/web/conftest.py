"""End-to-end: the built web app in real Chromium (Debian's, driven by Playwright), against
`parkshare dev` started as a newcomer starts it, on a database of its own.

The browser reaches the server through a TCP proxy the tests own (`Link`), so a test can cut
the network under a page, as a phone losing signal in the garage would, and let it back.

Without Chromium or a built app the tests are skipped on a developer's machine and fail in
CI (`CI=true`), where `.ci/run` installs Chromium and `just test` builds the app first.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.conftest import TestDb
from tests.servers import DevServer, parkshare_dev

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "web" / "dist"
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("PARKSHARE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("PARKSHARE_ARTIFACTS", REPO / "test-artifacts"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# What the e2e run measured, printed at the end of the session (figures, never assertions).
FIGURES: list[str] = []


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (CI must run the end-to-end tests)")
    pytest.skip(what)


@pytest.fixture(scope="session")
def built_app() -> Path:
    if not (DIST / "index.html").is_file():
        _missing("web/dist is not built: `just web` (or `just test`) builds it")
    return DIST


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE.is_file():
        _missing("web/node_modules/axe-core is missing: run `npm ci` in web/")
    return AXE


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def dev_server(
    built_app: Path,
    database_factory: Callable[[str | None], TestDb],
    template_database: str,
    redis_url: str,
) -> Iterator[DevServer]:
    """`parkshare dev` on a free port: it finds its database empty, seeds the demo and serves
    the app, the functions, the relay and the worker, as on a newcomer's machine. Every
    browser context signs in afresh, all from 127.0.0.1, as the residents behind one
    building's address do."""
    database = database_factory(template_database)
    # A sweep every few seconds: a start or an end missed by the schedule shows soon.
    with parkshare_dev(database, redis_url, PARKSHARE_SWEEP_SECONDS="5") as server:
        yield server


@dataclass
class Link:
    """A TCP proxy between the browser and the server. `cut()` drops every connection and
    refuses new ones until `restore()`: the network going away under a page."""

    target_port: int
    port: int = 0
    up: bool = True
    _server: asyncio.Server | None = None
    _pipes: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._pipes |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while chunk := await src.read(65536):
                    dst.write(chunk)
                    await dst.drain()
            with contextlib.suppress(OSError):
                dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._pipes -= {writer, up_writer}

    def cut(self) -> None:
        self.up = False
        for pipe in list(self._pipes):
            transport = pipe.transport
            with contextlib.suppress(OSError):
                transport.abort()  # a reset, not a polite close: the signal is simply gone
        self._pipes.clear()

    def restore(self) -> None:
        self.up = True

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
async def link(dev_server: DevServer) -> AsyncIterator[Link]:
    proxy = Link(dev_server.port)
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest.fixture(scope="module")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@dataclass
class Browsers:
    """Fresh browser contexts (each its own storage: a resident's own phone)."""

    browser: Browser
    opened: list[BrowserContext] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def page(self, **options: Any) -> Page:
        context = await self.browser.new_context(**{"viewport": DESKTOP, **options})
        self.opened.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        # The page's Content-Security-Policy refusing anything the app does is an error too.
        page.on(
            "console",
            lambda message: (
                self.errors.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page


@pytest.fixture
async def browsers(browser: Browser) -> AsyncIterator[Browsers]:
    made = Browsers(browser)
    yield made
    for context in made.opened:
        await context.close()
    assert not made.errors, f"uncaught errors in the page: {made.errors}"


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("web end-to-end figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
