// attention_mask works as in transformers.js batch generation: a left-padded row gives, at its real positions, the
// logits and cache of the same tokens run alone, padded rows never produce NaN, and the reference agrees throughout.
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ensureFixtureModel, loadReferenceQwen3, referenceQwen3Forward, type ReferenceQwen3Model } from "../../src/testing/index.js";
import { expectClose, expectPresentClose, logitsRows, openSession, ortForward, type ort } from "./ort-helpers.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let session: ort.InferenceSession;
let model: ReferenceQwen3Model;
let dims: { layers: number; kvHeads: number; headDim: number };

beforeAll(async () => {
  const dir = await ensureFixtureModel({ shape: "tiny", seed: 1 });
  [session, model] = await Promise.all([openSession(dir), loadReferenceQwen3(dir)]);
  const c = model.config;
  dims = { layers: c.num_hidden_layers, kvHeads: c.num_key_value_heads, headDim: c.head_dim };
});

const PAD = 151643;
const short = [4340, 525, 498, 3730];
const long = [9707, 11, 1246, 525, 498, 3730, 30];
// transformers.js positions: cumsum(mask) − 1, with 1 at padded slots.
const batch = {
  ids: [[PAD, PAD, PAD, ...short], long],
  mask: [
    [0, 0, 0, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1],
  ],
  positions: [
    [1, 1, 1, 0, 1, 2, 3],
    [0, 1, 2, 3, 4, 5, 6],
  ],
};

/** Row `b`, token range `[from, to)` of a `[batch, kv, T, d]` cache, as `[kv][t][d]` flattened. */
function cacheRows(t: ort.Tensor, b: number, from: number, to: number): number[] {
  const [, kv, T, d] = t.dims as [number, number, number, number];
  const data = t.data as Float32Array;
  const out: number[] = [];
  for (let g = 0; g < kv; g++) out.push(...data.subarray(((b * kv + g) * T + from) * d, ((b * kv + g) * T + to) * d));
  return out;
}

describe("left padding", () => {
  it("the padded row's real positions equal the unpadded run, and the full row equals its own run", async () => {
    const padded = await ortForward(session, dims, batch);
    const alone = await ortForward(session, dims, { ids: [short] });
    const longAlone = await ortForward(session, dims, { ids: [long] });
    expectClose(logitsRows(padded.logits, padded.logitsDims, 0, 3, 7), alone.logits, "padded row logits");
    expectClose(logitsRows(padded.logits, padded.logitsDims, 1, 0, 7), longAlone.logits, "full row logits");
    for (let i = 0; i < dims.layers; i++) {
      expectClose(cacheRows(padded.present[i]!.key, 0, 3, 7), alone.present[i]!.key.data as Float32Array, `present.${i}.key`);
      expectClose(cacheRows(padded.present[i]!.value, 0, 3, 7), alone.present[i]!.value.data as Float32Array, `present.${i}.value`);
    }
    expect(padded.logits.every(Number.isFinite)).toBe(true);
  });

  it("decoding after a padded prefill continues each row as if it ran alone", async () => {
    const padded = await ortForward(session, dims, batch);
    const next = [[13], [42]];
    const step = await ortForward(session, dims, {
      ids: next,
      mask: batch.mask.map((m) => [...m, 1]),
      positions: [[4], [7]],
      past: padded.present,
    });
    const alone = await ortForward(session, dims, { ids: [short] });
    const aloneStep = await ortForward(session, dims, { ids: [[13]], past: alone.present });
    expectClose(logitsRows(step.logits, step.logitsDims, 0, 0, 1), aloneStep.logits, "padded row, decode step");
    const longAlone = await ortForward(session, dims, { ids: [[...long, 42]] });
    expectClose(logitsRows(step.logits, step.logitsDims, 1, 0, 1), logitsRows(longAlone.logits, longAlone.logitsDims, 0, 7, 8), "full row, decode step");
  });

  it("matches the reference on the whole padded batch, padded slots included", async () => {
    const padded = await ortForward(session, dims, batch);
    const ref = referenceQwen3Forward(model, { inputIds: batch.ids, attentionMask: batch.mask, positionIds: batch.positions });
    expectClose(padded.logits, ref.logits, "logits");
    expectPresentClose(padded.present, ref.present, "padded batch");
  });

  it("a mask hole in the middle hides exactly that key", async () => {
    // Masking position 2 must equal running the sequence without token 2 (RoPE is relative, so later positions may
    // keep their absolute ids).
    const ids = [4340, 525, 498, 3730, 30];
    const holed = await ortForward(session, dims, { ids: [ids], mask: [[1, 1, 0, 1, 1]] });
    const without = await ortForward(session, dims, { ids: [[4340, 525, 3730, 30]], positions: [[0, 1, 3, 4]] });
    const rows = (r: Awaited<ReturnType<typeof ortForward>>, picks: number[]): number[] => picks.flatMap((p) => logitsRows(r.logits, r.logitsDims, 0, p, p + 1));
    expectClose(rows(holed, [3, 4]), rows(without, [2, 3]), "logits after the hole");
    const ref = referenceQwen3Forward(model, { inputIds: [ids], attentionMask: [[1, 1, 0, 1, 1]] });
    expectClose(holed.logits, ref.logits, "reference with a hole");
  });
});
