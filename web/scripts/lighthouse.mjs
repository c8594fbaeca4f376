// Lighthouse's accessibility audit of the app's screens in Debian's Chromium (never a browser
// it downloads): `node scripts/lighthouse.mjs <base URL> <email> <password> [route…]`.
// It signs in once in the browser it audits with (storage kept between pages), then audits
// each route (a hash route such as `#/garage`, or a path such as `/board#<token>`) and
// prints one JSON line per page: {route, signedIn, map, board, score, failing: [audit ids]}.

import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';
import puppeteer from 'puppeteer-core';

const [base, email, password, ...routes] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error('usage: node scripts/lighthouse.mjs <base URL> <email> <password> [route…]');
  process.exit(2);
}

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  chromeFlags: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });
  const page = await browser.newPage();
  await page.goto(`${base}/`, { waitUntil: 'networkidle0' });
  await page.type('input[type="email"]', email);
  await page.type('input[autocomplete="current-password"]', password);
  await Promise.all([
    page.waitForSelector('[data-testid="spot-card"]', { timeout: 30_000 }),
    page.click('button[type="submit"]'),
  ]);
  for (const route of routes.length ? routes : ['#/garage']) {
    const url = route.startsWith('#') ? `${base}/${route}` : `${base}${route}`;
    const result = await lighthouse(
      url,
      { onlyCategories: ['accessibility'], disableStorageReset: true, logLevel: 'error' },
      undefined,
      page,
    );
    const lhr = result?.lhr;
    const failing = Object.values(lhr?.audits ?? {})
      .filter(
        (audit) => audit.score !== null && audit.score < 1 && audit.scoreDisplayMode === 'binary',
      )
      .map((audit) => audit.id);
    // What was audited: the signed-in app (its header's navigation), not the sign-in page.
    const signedIn = (await page.$('nav[aria-label="Main"]')) !== null;
    const map = (await page.$('[data-testid="garage-map"]')) !== null;
    const board = (await page.$('[data-testid="board"]')) !== null;
    const score = lhr?.categories.accessibility.score ?? null;
    console.log(
      JSON.stringify({ route, url: lhr?.finalDisplayedUrl, signedIn, map, board, score, failing }),
    );
  }
  await browser.disconnect();
} finally {
  await chrome.kill();
}
