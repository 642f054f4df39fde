import type { IncomingHttpHeaders } from "node:http";
import type { RequestKind } from "./request-kind.js";

/** Headers whose values are secrets: logged as `[redacted]` so a test can still see they were sent. */
const SECRET_HEADERS = new Set(["authorization", "cookie", "proxy-authorization", "x-api-key"]);

/** One request as the store received it. */
export interface RequestLogEntry {
  /** 1-based arrival order. */
  seq: number;
  /** Arrival time (the store's clock), ISO 8601. */
  at: string;
  method: string;
  kind: RequestKind;
  /** Path without the query string (presigned signatures are not logged). */
  path: string;
  /** Request headers (lowercase names) with secret values replaced by `[redacted]`. */
  headers: Record<string, string>;
  /** Whether an `Authorization` header was present: presigned and CDN requests must carry none. */
  hasAuthorization: boolean;
  /** The response status, once sent (undefined while in flight or when the connection was cut). */
  status?: number;
  /** Set when an injected fault handled this request. */
  fault?: string;
}

/**
 * The store's record of received requests, for tests that assert what a client sent (for example that no presigned
 * request carried `Authorization`) and how many attempts it made.
 * @example expect(store.requests.ofKind("put").every((r) => !r.hasAuthorization)).toBe(true)
 */
export class RequestLog {
  readonly #entries: RequestLogEntry[] = [];
  readonly #counts = new Map<RequestKind, number>();
  readonly #limit: number;
  #seq = 0;

  constructor(limit: number) {
    this.#limit = Math.max(0, limit);
  }

  /** Logged requests, oldest first (at most the configured limit). */
  get entries(): readonly RequestLogEntry[] {
    return this.#entries;
  }

  /** How many requests of `kind` (or of any kind) arrived since start or the last clear(); never capped. */
  count(kind?: RequestKind): number {
    if (kind !== undefined) return this.#counts.get(kind) ?? 0;
    let total = 0;
    for (const n of this.#counts.values()) total += n;
    return total;
  }

  /** The logged requests of one kind, oldest first. */
  ofKind(kind: RequestKind): RequestLogEntry[] {
    return this.#entries.filter((e) => e.kind === kind);
  }

  /** Forget every entry and count. */
  clear(): void {
    this.#entries.length = 0;
    this.#counts.clear();
  }

  /** Record an arriving request and return its (mutable) entry. */
  add(input: { at: string; method: string; kind: RequestKind; path: string; headers: IncomingHttpHeaders }): RequestLogEntry {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(input.headers)) {
      if (value === undefined) continue;
      headers[name] = SECRET_HEADERS.has(name) ? "[redacted]" : Array.isArray(value) ? value.join(", ") : value;
    }
    const entry: RequestLogEntry = {
      seq: ++this.#seq,
      at: input.at,
      method: input.method,
      kind: input.kind,
      path: input.path,
      headers,
      hasAuthorization: input.headers.authorization !== undefined,
    };
    this.#counts.set(input.kind, (this.#counts.get(input.kind) ?? 0) + 1);
    if (this.#limit > 0) {
      this.#entries.push(entry);
      if (this.#entries.length > this.#limit) this.#entries.splice(0, this.#entries.length - this.#limit);
    }
    return entry;
  }
}
