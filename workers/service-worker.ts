/**
 * The offline service worker: on install it caches every file of the build
 * (the app, onnxruntime-web's WASM and the bundled model; the list is written
 * into this file at build time by tools/vite-offline.ts), so after one visit
 * the app opens and analyses with the network off. Requests go to the
 * network first for pages (a new version shows when online) and to the cache
 * first for everything else. It never contacts another origin and sends
 * nothing anywhere: it only answers the app's own requests.
 */

/** Replaced at build time with { version, files }. */
declare const __PRECACHE_MANIFEST__: { version: string; files: string[] };

// The DOM and WebWorker type libraries clash in one program: the little used here, typed by hand.
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(response: Promise<Response>): void;
}
interface ServiceWorkerScope {
  registration: { scope: string };
  clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
}

const scope = self as unknown as ServiceWorkerScope;
const manifest = __PRECACHE_MANIFEST__;
const CACHE = `skelex-${manifest.version}`;
const urls = manifest.files.map((file) => new URL(file, scope.registration.scope).href);
const INDEX = new URL('./', scope.registration.scope).href;

scope.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(urls))
      .then(() => scope.skipWaiting()),
  );
});

scope.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((k) => k.startsWith('skelex-') && k !== CACHE).map((k) => caches.delete(k)),
        ),
      )
      .then(() => scope.clients.claim()),
  );
});

async function fromCache(request: Request): Promise<Response | undefined> {
  const cache = await caches.open(CACHE);
  // ignoreVary: the server may answer with "Vary: Origin", and the page's module
  // requests carry an Origin header that the precache's requests did not.
  return (await cache.match(request, { ignoreSearch: true, ignoreVary: true })) ?? undefined;
}

scope.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== new URL(INDEX).origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request).catch(async () => {
        const cached =
          (await fromCache(request)) ?? (await caches.match(INDEX, { ignoreVary: true }));
        if (cached) return cached;
        throw new Error(`offline, and ${request.url} was never cached`);
      }),
    );
    return;
  }
  event.respondWith(fromCache(request).then((cached) => cached ?? fetch(request)));
});
