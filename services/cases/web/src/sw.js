// The service worker: keeps the app shell (index.html and its hashed script and style) so
// the app opens without a network, and every hashed asset once fetched (the charts'
// chunk too), cache-first since a content-hashed name never changes its bytes. API
// answers are never cached here: they hold children's personal data, and the page keeps
// its own encrypted copy of them (src/offline/cache.js). The build gives this file the
// shell's URLs as __APP_SHELL__, so each build changes its bytes and it updates.
/* global __APP_SHELL__ */
const SHELL = __APP_SHELL__;
const CACHE = `careledger-shell-${SHELL.join("|").length}-${SHELL[1]}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("careledger-shell-") && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

async function asset(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith("/dashboard")) return;
  if (request.mode === "navigate") {
    // The page from the network when there is one (a new build), else the cached shell.
    event.respondWith(fetch(request).catch(() => caches.match("/dashboard/")));
    return;
  }
  if (url.pathname.startsWith("/dashboard/assets/")) event.respondWith(asset(request));
});
