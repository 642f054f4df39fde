import { CacheInputError } from "../errors/compatibility-error.js";
import type { KvCache } from "../kv/kv-cache.js";
import type { KvSidecar } from "../kv/sidecar.js";
import { writeKv, type WriteKvResult } from "../kv/write-kv.js";
import { VERSION } from "../version.js";
import { pastToKv } from "./cache-io.js";
import type { OnnxModel } from "./load-model.js";
import type { ChatMessage, ChatTemplateOptions } from "./load-tokenizer.js";
import { emptyPast, runPrefill } from "./run-forward.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";

/** Options of {@link produceCache}: give `context` (text), `contextTokens` (ids) or `messages` (chat). */
export interface ProduceCacheOptions {
  /** The loaded model. */
  model: OnnxModel;
  /** Context text, tokenized with special tokens and no chat template (kvcdn-cli's policy); kept as the sidecar `prompt`. */
  context?: string;
  /** Context ids, used as given (no `prompt` is recorded unless `context` is given too). */
  contextTokens?: readonly number[];
  /**
   * A conversation to cache, rendered with the model's chat template (only when asked: kvcdn-cli never templates);
   * the rendered text is encoded without special tokens and recorded as `prompt`. Continue it with
   * `resumeFromPrefix({ messages: [...these, nextTurn] })`: the ids of the shared turns line up.
   */
  messages?: readonly ChatMessage[];
  /** Chat template options for `messages`. @default { addGenerationPrompt: false } */
  chatTemplate?: ChatTemplateOptions;
  /** Write the cache here (`.kv` appended when missing) with its `.kv.json` sidecar; atomic. @default not written */
  output?: string;
  /** The sidecar's `model_name`. @default model.modelId */
  modelId?: string;
  /** Longest piece of the context per forward pass; `Infinity` = one pass like kvcdn-cli. @default 512 */
  prefillChunkTokens?: number;
  /** Called with warnings (e.g. `.kv` appended to `output`). */
  onWarning?: (message: string) => void;
  /** Cancels before the prefill and before writing. */
  signal?: AbortSignal;
}

/** A sidecar's known fields (no index signature), with `nbytes` and `sha256` present only once written. */
export type ProducedSidecar = Omit<KnownFields<KvSidecar>, "nbytes"> & { nbytes?: number };
type KnownFields<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

/** A produced cache. */
export interface ProducedCache {
  /** The K/V tensors: F32 from fp32 graphs, F16 from fp16/q4f16 graphs (the dtype the session produced). */
  cache: KvCache;
  /** The sidecar: as written when `output` was given (with `nbytes` and `sha256`), else the same fields without them. */
  metadata: ProducedSidecar;
  /** What was written, when `output` was given. */
  written: WriteKvResult | undefined;
  /** The prefilled ids (`metadata.tokens`). */
  tokens: number[];
  /** Milliseconds spent in the prefill forward pass. */
  prefillMs: number;
}

/**
 * Producer: prefill a context once and keep its KV cache. Runs the context at positions 0 … T−1 from an empty past
 * (in pieces of `prefillChunkTokens`), collects every `present.*`, and (with `output`) writes the `.kv` and a sidecar with
 * `tokens`, `prompt`, `model_name`, the model `fingerprint`, `sha256` and `producer`.
 * @throws {CacheInputError} `empty_prompt` for a context with no tokens.
 * @example
 * const model = await loadModel({ dir: "/models/qwen3" });
 * const { metadata } = await produceCache({ model, context: await readFile("ctx.txt", "utf8"), output: "ctx.kv" });
 */
export async function produceCache(options: ProduceCacheOptions): Promise<ProducedCache> {
  const { model, signal } = options;
  const rendered =
    options.messages !== undefined ? model.tokenizer.applyChatTemplate(options.messages, options.chatTemplate) : undefined;
  const prompt = rendered ?? options.context;
  const tokens =
    options.contextTokens !== undefined
      ? checkIds(options.contextTokens, model.vocabSize)
      : rendered !== undefined
        ? model.tokenizer.encode(rendered, { addSpecialTokens: false })
        : model.tokenizer.encode(options.context ?? "", { addSpecialTokens: true });
  if (tokens.length === 0) {
    throw new CacheInputError("the context has no tokens; give a non-empty context", { code: "empty_prompt" });
  }
  throwIfAborted(signal, "generation");
  const start = performance.now();
  const { present } = await runPrefill({
    model,
    inputIds: tokens,
    past: await emptyPast(model),
    ...(options.prefillChunkTokens !== undefined ? { chunkTokens: options.prefillChunkTokens } : {}),
    ...(signal ? { signal } : {}),
  });
  const prefillMs = performance.now() - start;
  const cache = pastToKv(model, present);
  throwIfAborted(signal, "generation");

  const sidecar: Partial<KvSidecar> = {
    model_name: options.modelId ?? model.modelId,
    ...(prompt !== undefined ? { prompt } : {}),
    tokens,
    producer: { name: "kvcdn", version: VERSION, runtime: "onnxruntime-node", model_dtype: model.dtype },
    fingerprint: { ...model.fingerprint },
  };
  if (options.output === undefined) {
    const metadata: ProducedSidecar = {
      ...sidecar,
      model_name: sidecar.model_name!,
      num_layers: cache.layers.length,
      num_tokens: tokens.length,
      dtype: cache.dtype,
      storage_dtype: cache.dtype,
      quantized: false,
    };
    return { cache, metadata, written: undefined, tokens, prefillMs };
  }
  const written = await writeKv(options.output, cache, {
    sidecar,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(signal ? { signal } : {}),
  });
  return { cache, metadata: written.sidecar, written, tokens, prefillMs };
}

/** Validate caller-given ids: non-negative integers below the vocabulary size. */
export function checkIds(ids: readonly number[], vocabSize: number | undefined): number[] {
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || (vocabSize !== undefined && id >= vocabSize)) {
      throw new CacheInputError(
        `token id ${id} is not valid${vocabSize === undefined ? "" : ` for a ${vocabSize}-token vocabulary`}`,
        { code: "bad_tokens" },
      );
    }
  }
  return [...ids];
}
