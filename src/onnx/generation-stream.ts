/** One generated token and the text it adds (may be `""` while a multi-byte character or stop string is pending). */
export interface GeneratedToken {
  /** The token id. */
  token: number;
  /** Text this token adds to the output; the concatenation of every `text` is the final text. */
  text: string;
}

/** Why generation ended: `length` (max tokens), `eos` (an end-of-sequence id), `stop` (a stop string). */
export type FinishReason = "length" | "eos" | "stop";

/** A finished generation. */
export interface GenerationResult {
  /** Generated ids, in order (an EOS id that ended generation is included). */
  tokens: number[];
  /** Decoded text of `tokens`, cut before a stop string. */
  text: string;
  /** Why it ended. */
  finishReason: FinishReason;
  /** Positions taken from the cache (the first token's position is `cachedTokens + prefillTokens`). */
  cachedTokens: number;
  /** Uncached prompt tokens run in the first forward pass. */
  prefillTokens: number;
  /** Wall-clock milliseconds: `seedMs` preparing the cache (read, convert), `firstTokenMs` until the first token, `totalMs`. */
  timings: { seedMs: number; firstTokenMs: number; totalMs: number };
}

/** The last event of a generation: its result (the same pattern as the transfer engine's `{ phase: "done", result }`). */
export interface GenerationDone {
  phase: "done";
  result: GenerationResult;
}

/** What iterating a {@link GenerationStream} yields: one `{ phase: "token", token, text }` per token, then one `done`. */
export type GenerationEvent = ({ phase: "token" } & GeneratedToken) | GenerationDone;

/**
 * A running generation: iterate it for `{ phase: "token", token, text }` events as tokens arrive, ending with one
 * `{ phase: "done", result }` (like the transfer engine's event streams), or `collect()` the whole result.
 * Single use. Work starts on the first `next()` (or `collect()`), and checks (compatibility, prompt) fail there.
 * @example
 * for await (const e of resumeFromCache({ model, kv: "ctx.kv", question: "Q?" })) if (e.phase === "token") process.stdout.write(e.text);
 * const { tokens, text } = await resumeFromCache({ model, kv: "ctx.kv", question: "Q?" }).collect();
 */
export class GenerationStream implements AsyncIterable<GenerationEvent> {
  readonly #generator: AsyncGenerator<GeneratedToken, GenerationResult>;
  #result: GenerationResult | undefined;

  constructor(generator: AsyncGenerator<GeneratedToken, GenerationResult>) {
    this.#generator = generator;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<GenerationEvent, void, undefined> {
    if (this.#result) {
      yield { phase: "done", result: this.#result };
      return;
    }
    for (;;) {
      const step = await this.#generator.next();
      if (step.done) {
        this.#result = step.value;
        yield { phase: "done", result: step.value };
        return;
      }
      yield { phase: "token", ...step.value };
    }
  }

  /** Run to the end (or continue a started iteration) and return the whole result. */
  async collect(): Promise<GenerationResult> {
    if (this.#result) return this.#result;
    for (;;) {
      const step = await this.#generator.next();
      if (step.done) {
        this.#result = step.value;
        return step.value;
      }
    }
  }
}
