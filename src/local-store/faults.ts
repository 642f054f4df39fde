import { LocalStoreError } from "./local-store-error.js";
import { isFaultTarget, type RequestKind } from "./request-kind.js";

/** What a fault can target: `put`, `get`, `cdn` or an API `operationId` such as `createUploadUrl`. */
export type FaultTarget = Exclude<RequestKind, "unknown">;

/** Fields every fault has. */
interface FaultBase {
  /** Which requests it hits. */
  on: FaultTarget;
  /** How many of the next matching requests it hits. @default 1 */
  times?: number;
}

/**
 * One injected fault. Faults hit the next `times` requests of kind `on`, in the order they were injected; a request
 * takes at most one fault.
 *
 * - `expire` (`put`, `get`): answer S3's 403 `AccessDenied` "Request has expired". On `createUploadUrl` or
 *   `createDownloadUrl`: process normally but issue a URL that has already expired (the real verifier rejects it).
 * - `reset`: cut the TCP connection. `put`: after `afterBytes` bytes of the body arrived (nothing is stored; the URL
 *   counts as used). `get`/`cdn`: after sending the headers and `afterBytes` bytes of the body. API operations: after
 *   processing, instead of answering (an upload-url then created an artifact the client never heard of).
 * - `corrupt-stored` (`put`): store the bytes, then flip one byte of the stored object at `offset` (default: the
 *   middle), so confirm-upload finds a SHA-256 mismatch. The PUT still answers 200.
 * - `corrupt-served` (`get`, `cdn`): flip the byte at object `offset` (default: the middle of the bytes served) in
 *   the response body; headers (length, ETag, checksum) stay those of the real object.
 * - `status`: answer `status` (e.g. 500, 503, 429) without processing, with `Retry-After: retryAfter` seconds when
 *   given; JSON error body for the API, S3 XML for storage.
 * - `delay`: wait `ms` milliseconds, then handle the request normally (for timeout and abort tests).
 */
export type Fault = FaultBase &
  (
    | { action: "expire" }
    | { action: "reset"; /** @default 0 */ afterBytes?: number }
    | { action: "corrupt-stored"; offset?: number }
    | { action: "corrupt-served"; offset?: number }
    | { action: "status"; status: number; /** Seconds. */ retryAfter?: number }
    | { action: "delay"; ms: number }
  );

/** An injected fault and how many more requests it will hit. */
export type PendingFault = Fault & { remaining: number };

/** Which targets each action makes sense on (others are refused at inject time, so a typo cannot pass silently). */
const ALLOWED: Record<Fault["action"], (on: FaultTarget) => boolean> = {
  expire: (on) => on === "put" || on === "get" || on === "createUploadUrl" || on === "createDownloadUrl",
  reset: () => true,
  "corrupt-stored": (on) => on === "put",
  "corrupt-served": (on) => on === "get" || on === "cdn",
  status: () => true,
  delay: () => true,
};

const isNonNegativeInt = (n: unknown): boolean => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;

/**
 * Fault injection of a local store (`store.faults`), for tests of clients over real HTTP. Off unless the store was
 * started with `faults: true` on a loopback host; then nothing happens until a fault is injected.
 * @example
 * const store = await startLocalStore({ faults: true });
 * store.faults.inject({ on: "put", action: "reset", afterBytes: 1024 });
 * store.faults.inject({ on: "createUploadUrl", action: "status", status: 503, retryAfter: 1, times: 2 });
 */
export interface LocalStoreFaults {
  /** Whether fault injection is allowed on this store. */
  readonly enabled: boolean;
  /** Make the next `fault.times` requests of kind `fault.on` fail as described by {@link Fault}. */
  inject(fault: Fault): void;
  /** Remove every pending fault. */
  clear(): void;
  /** Faults still waiting for requests, in injection order. */
  readonly pending: readonly PendingFault[];
}

/** The store's fault table: public {@link LocalStoreFaults} plus `take()` for the request handler. */
export class FaultTable implements LocalStoreFaults {
  readonly enabled: boolean;
  readonly #pending: PendingFault[] = [];
  readonly #whyDisabled: string;

  constructor(enabled: boolean, whyDisabled: string) {
    this.enabled = enabled;
    this.#whyDisabled = whyDisabled;
  }

  get pending(): readonly PendingFault[] {
    return this.#pending.map((f) => ({ ...f }));
  }

  inject(fault: Fault): void {
    if (!this.enabled) throw new LocalStoreError(this.#whyDisabled, { code: "faults_disabled" });
    if (!isFaultTarget(fault.on)) throw new LocalStoreError(`unknown fault target "${String(fault.on)}"`, { code: "invalid_fault" });
    const allowed = ALLOWED[fault.action];
    if (allowed === undefined) throw new LocalStoreError(`unknown fault action "${String(fault.action)}"`, { code: "invalid_fault" });
    if (!allowed(fault.on)) {
      throw new LocalStoreError(`fault "${fault.action}" cannot apply to "${fault.on}" requests`, { code: "invalid_fault" });
    }
    const times = fault.times ?? 1;
    if (!Number.isSafeInteger(times) || times < 1) throw new LocalStoreError("fault times must be an integer >= 1", { code: "invalid_fault" });
    const bad =
      (fault.action === "reset" && fault.afterBytes !== undefined && !isNonNegativeInt(fault.afterBytes)) ||
      ((fault.action === "corrupt-stored" || fault.action === "corrupt-served") && fault.offset !== undefined && !isNonNegativeInt(fault.offset)) ||
      (fault.action === "status" && (!Number.isSafeInteger(fault.status) || fault.status < 400 || fault.status > 599)) ||
      (fault.action === "status" && fault.retryAfter !== undefined && !isNonNegativeInt(fault.retryAfter)) ||
      (fault.action === "delay" && !isNonNegativeInt(fault.ms));
    if (bad) throw new LocalStoreError(`invalid parameters for fault "${fault.action}": ${JSON.stringify(fault)}`, { code: "invalid_fault" });
    this.#pending.push({ ...fault, remaining: times });
  }

  clear(): void {
    this.#pending.length = 0;
  }

  /** Consume one hit of the first pending fault for `kind`, if any. */
  take(kind: RequestKind): Fault | undefined {
    if (!this.enabled) return undefined;
    const index = this.#pending.findIndex((f) => f.on === kind);
    if (index < 0) return undefined;
    const found = this.#pending[index]!;
    found.remaining -= 1;
    if (found.remaining <= 0) this.#pending.splice(index, 1);
    const { remaining: _remaining, ...fault } = found;
    return fault as Fault;
  }
}
