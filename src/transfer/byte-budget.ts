import { throwIfAborted } from "../util/throw-if-aborted.js";

/**
 * A byte semaphore shared by concurrent transfers: each reserves the buffer memory it is about to hold and waits,
 * first come first served, while the reservations of others fill the budget. A request larger than the whole budget
 * is served alone (clamped to it), so nothing waits forever.
 * @example const release = await budget.acquire(4 << 20, signal); try { … } finally { release() }
 */
export class ByteBudget {
  readonly capacity: number;
  #used = 0;
  readonly #waiting: Array<{ bytes: number; grant: () => void }> = [];

  /** @param capacity bytes that may be reserved at once */
  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.#used;
  }

  /** Reserve `bytes` (waiting while the budget is full); call the returned function once to give them back. */
  async acquire(bytes: number, signal?: AbortSignal): Promise<() => void> {
    throwIfAborted(signal);
    const need = Math.min(this.capacity, Math.max(0, bytes));
    if (this.#waiting.length === 0 && this.#used + need <= this.capacity) return this.#take(need);
    await new Promise<void>((resolve, reject) => {
      const entry = { bytes: need, grant: resolve };
      this.#waiting.push(entry);
      signal?.addEventListener(
        "abort",
        () => {
          const at = this.#waiting.indexOf(entry);
          if (at < 0) return;
          this.#waiting.splice(at, 1);
          this.#pump();
          try {
            throwIfAborted(signal);
          } catch (e) {
            reject(e);
          }
        },
        { once: true },
      );
    });
    return this.#take(need, true);
  }

  #take(bytes: number, granted = false): () => void {
    if (!granted) this.#used += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#used -= bytes;
      this.#pump();
    };
  }

  #pump(): void {
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0] as { bytes: number; grant: () => void };
      if (this.#used + next.bytes > this.capacity) return;
      this.#waiting.shift();
      this.#used += next.bytes;
      next.grant();
    }
  }
}

/**
 * Memory all transfers of this process may hold in I/O buffers at once: hashing passes (4 MiB each), PUT bodies
 * (2 × 256 KiB each) and download write batches (2 × 1 MiB each) reserve from it before they start, so a hundred
 * concurrent transfers wait for buffers instead of each allocating their own, and none waits holding half of what it
 * needs. Measured with bench/store-load.ts (100 concurrent 8 MiB uploads, one client): client peak RSS 483 MiB
 * without a budget, 263 MiB with 64 MiB, 195 MiB with 32 MiB, and the round got faster (two cores hash no faster
 * with a hundred passes in parallel than with eight).
 */
export const TRANSFER_BUFFER_BUDGET_BYTES = 32 * 1024 * 1024;

/** The process-wide budget of {@link TRANSFER_BUFFER_BUDGET_BYTES}. */
export const transferBufferBudget = new ByteBudget(TRANSFER_BUFFER_BUDGET_BYTES);
