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

/**
 * A running generation: iterate it for `{ token, text }` as tokens arrive, or `collect()` the whole result.
 * Single use. Work starts on the first `next()` (or `collect()`), and checks (compatibility, prompt) fail there.
 * @example
 * for await (const { text } of resumeFromCache({ model, kv: "ctx.kv", question: "Q?" })) process.stdout.write(text);
 * const { tokens, text } = await resumeFromCache({ model, kv: "ctx.kv", question: "Q?" }).collect();
 */
export class GenerationStream implements AsyncIterable<GeneratedToken> {
  readonly #generator: AsyncGenerator<GeneratedToken, GenerationResult>;
  #result: GenerationResult | undefined;

  constructor(generator: AsyncGenerator<GeneratedToken, GenerationResult>) {
    this.#generator = generator;
  }

  /** The result once iteration has finished, else undefined. */
  get result(): GenerationResult | undefined {
    return this.#result;
  }

  [Symbol.asyncIterator](): AsyncIterator<GeneratedToken, undefined> {
    return {
      next: async () => {
        const step = await this.#generator.next();
        if (step.done) {
          this.#result = step.value;
          return { done: true, value: undefined };
        }
        return step;
      },
      return: async () => {
        await this.#generator.return(undefined as never);
        return { done: true, value: undefined };
      },
    };
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
