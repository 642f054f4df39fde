import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { argmax, emptyPast, loadModel, runForward, type OnnxModel } from "../../src/onnx/index.js";
import { BUILDER_VARIANTS, ensureFixtureModel, type RotaryMode } from "../../src/testing/index.js";

/** The fixture every runtime test uses: the `tiny` Qwen3 (3 layers, 2 KV heads, head_dim 32), seed 7. */
export const FIXTURE = { shape: "tiny", seed: 7 } as const;

/** A long English text whose ids give contexts of any length up to a few hundred tokens. */
export const LONG_TEXT =
  "Key-value caches store the attention keys and values of a prompt so that a model can continue from it without " +
  "running the prompt again. A producer prefills a long context once and writes the cache to a file; consumers " +
  "download the file, load it into the same model and ask their questions right away. The saving grows with the " +
  "length of the context, because the prefill costs grow with it while the cached resume costs one short pass.";

/** The builder-layout fixtures the variant suites use: `tiny`, seed 7, all four variants in one folder per rotary mode. */
export const builderFixture = (rotary: RotaryMode) =>
  ({ shape: "tiny", seed: 7, layout: "builder", variants: BUILDER_VARIANTS, rotary }) as const;

export async function loadTinyModel(): Promise<OnnxModel> {
  return loadModel({ dir: await ensureFixtureModel(FIXTURE) });
}

export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "kvcdn-onnx-test-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The reference the cache paths must reproduce: one forward over all of `ids` from an empty past, then `n` greedy
 * steps, written directly on runForward + argmax (no cache, no kvcdn decode loop).
 */
export async function fullPrefillGreedy(
  model: OnnxModel,
  ids: readonly number[],
  n: number,
): Promise<{ tokens: number[]; logits: Float32Array[] }> {
  const tokens: number[] = [];
  const logits: Float32Array[] = [];
  let out = await runForward({ model, inputIds: ids, past: await emptyPast(model) });
  for (let i = 0; i < n; i++) {
    logits.push(out.logits);
    tokens.push(argmax(out.logits));
    if (i < n - 1) out = await runForward({ model, inputIds: [tokens[i]!], past: out.present });
  }
  return { tokens, logits };
}

/** Largest |a − b| over every step's logits. */
export function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let max = 0;
  a.forEach((row, step) => {
    const other = b[step]!;
    for (let i = 0; i < row.length; i++) max = Math.max(max, Math.abs(row[i]! - other[i]!));
  });
  return max;
}
