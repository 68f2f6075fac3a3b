// The check-in scanner's service worker (offline check-in): the scanner pages, their scripts, styles and the
// decoder's WebAssembly stay available without a network. The API is never cached: offline
// decisions are made by the page from its IndexedDB copy, and the outbox is sent by the page.
const PAGES = "checkin-pages-v1";
const ASSETS = "checkin-assets-v1";
const PRECACHE = {{ precache|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(ASSETS).then((c) => c.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

function isScannerPage(url) {
  return /^\/checkin\/events\/\d+\/scan$/.test(url.pathname) || url.pathname === "/checkin/device";
}

async function networkFirst(request, url) {
  const cache = await caches.open(PAGES);
  try {
    const resp = await fetch(request);
    if (resp.ok && !resp.redirected) await cache.put(url.pathname, resp.clone());
    return resp;
  } catch (e) {
    const cached = await cache.match(url.pathname);
    if (cached) return cached;
    throw e;
  }
}

async function staleWhileRevalidate(request, url) {
  const cache = await caches.open(ASSETS);
  const cached = await cache.match(url.pathname, { ignoreSearch: true });
  const refresh = fetch(request).then((resp) => {
    if (resp.ok) cache.put(url.pathname, resp.clone());
    return resp;
  });
  if (cached) {
    refresh.catch(() => {});
    return cached;
  }
  return refresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && isScannerPage(url)) {
    event.respondWith(networkFirst(request, url));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staleWhileRevalidate(request, url));
  }
});
