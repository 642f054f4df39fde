/**
 * Serializes async work per key (one queue per organization), so metadata mutations and the quota checks that
 * precede them never interleave. Keys with no queued work hold no memory.
 * @example await mutex.run("dev", async () => { checkQuota(); await saveArtifact(a) })
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Run `fn` once every earlier `run` with the same key has settled; resolves with its result. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
