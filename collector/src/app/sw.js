// The enumerators' offline app: its shell is kept so it opens with no
// network. Interviews live in IndexedDB (app.js), never only here.
const SHELL = "sipas-app-VERSION";
const FILES = ["/app/", "/app/app.js", "/app/app.css", "/app/icon.svg", "/app/manifest.webmanifest"];
self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("sipas-app-") && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});
self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin || !url.pathname.startsWith("/app/")) return;
  // The shell from the network when there is one (to pick up a new version), else as kept.
  e.respondWith(
    fetch(e.request)
      .then((r) => {
        if (r.ok && FILES.includes(url.pathname)) {
          const copy = r.clone();
          caches.open(SHELL).then((c) => c.put(url.pathname, copy));
        }
        return r;
      })
      .catch(() => caches.match(url.pathname === "/app/index.html" ? "/app/" : url.pathname, { ignoreSearch: true }))
  );
});
