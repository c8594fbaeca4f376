// The installed app's service worker, written into dist/sw.js by the build (vite.config.ts),
// which fills in the files of this build. It keeps the app shell so that the app opens without
// a network; it never answers for the API (/fn/), the relay (/ws) or anything of another
// origin: a resident offline sees the last garage the app saved, marked as such by the app,
// never a cached API answer passed off as fresh.

const VERSION = '__VERSION__';
const SHELL = `parkshare-shell-${VERSION}`;
const FILES = __FILES__;
// Small files the deployment may change without a new build: the network first.
const FRESH_FIRST = ['config.json', 'theme.js', 'manifest.webmanifest'];

const scope = new URL(self.registration.scope);
const inScope = (path) => new URL(path, scope).href;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(['./', ...FILES, ...FRESH_FIRST].map(inScope)))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith('parkshare-shell-') && name !== SHELL)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

async function networkFirst(request, fallback) {
  const cache = await caches.open(SHELL);
  try {
    const answer = await fetch(request);
    if (answer.ok) await cache.put(fallback ?? request, answer.clone());
    return answer;
  } catch (error) {
    const kept = await cache.match(fallback ?? request);
    if (kept) return kept;
    throw error;
  }
}

async function cacheFirst(request) {
  const kept = await caches.match(request);
  return kept ?? fetch(request);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== scope.origin || !url.href.startsWith(scope.href)) return;
  const path = url.pathname.slice(scope.pathname.length);
  if (path.startsWith('fn/') || path === 'ws' || path.startsWith('ws/')) return;
  if (request.mode === 'navigate') {
    // Any address of the app is the one page (the router reads the fragment).
    event.respondWith(networkFirst(request, inScope('./')));
  } else if (FRESH_FIRST.includes(path)) {
    event.respondWith(networkFirst(request));
  } else if (FILES.includes(path)) {
    // Built files carry their content's hash in their name: they never change.
    event.respondWith(cacheFirst(request));
  }
});
