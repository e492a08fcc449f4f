// The service worker: keeps the app shell (index.html and its hashed script and style)
// so the app opens without a network. API answers are not cached here. The offline
// engineer extends this file; the build gives it the shell's URLs as __APP_SHELL__.
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
  if (url.pathname.startsWith("/dashboard/assets/")) {
    // Named by content hash: a cached copy is always right.
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
