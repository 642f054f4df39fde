import type { FetchLike } from "./client-options.js";

/**
 * `fetch` (the platform's by default) of `new Request(url, init)`, with `init.signal` handed to fetch once more as its
 * second argument. Node's fetch follows the signal of a `Request` only through a weak reference, so once the
 * `Request` is garbage collected an abort or a deadline no longer reaches the request in flight; a signal given to
 * fetch itself is followed by the request fetch makes and keeps (docs/toolchain.md#aborts-and-garbage-collection).
 * Every kvcdn request goes through here.
 * @example const response = await fetchRequest(undefined, url, { method: "GET", signal: deadline.signal })
 */
export function fetchRequest(fetch: FetchLike | undefined, url: string, init: RequestInit): Promise<Response> {
  const request = new Request(url, init);
  const again: RequestInit = init.signal ? { signal: init.signal } : {};
  return fetch ? fetch(request, again) : globalThis.fetch(request, again);
}
