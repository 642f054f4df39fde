// GroupQueryAttention graphs load through kvcdn's rewrite whose present outputs hold only the new positions
// (docs/runtime.md#new-positions-graph): every result must be exactly the one the file as it is gives, for prefills
// from an empty past (chunked), resumes over a past with room, decode steps, and every builder variant.
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { kvNames } from "../../src/onnx/describe-graph.js";
import { loadModel, produceCache, resumeFromCache, runForward, emptyPast, type OnnxModel } from "../../src/onnx/index.js";
import { buildNewPositionsGraph, NEW_POSITIONS_PREFIX } from "../../src/onnx/new-positions-graph.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import { builderFixture, FIXTURE, LONG_TEXT, makeTempDir, maxAbsDiff } from "./helpers.js";

vi.setConfig({ testTimeout: 120_000 });

const CACHED = 37;
const N = 6;

describe.each([
  ["q4f16", "separate"],
  ["fp16", "separate"],
  ["fp32", "separate"],
  ["q4", "fused"],
] as const)("new-positions graph, builder %s (%s rotary)", (variant, rotary) => {
  let rewritten: OnnxModel;
  let asIs: OnnxModel;
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let ids: number[];
  let question: number[];

  beforeAll(async () => {
    const dir = await ensureFixtureModel(builderFixture(rotary));
    rewritten = await loadModel({ dir, dtype: variant, modelId: "fixture/builder" });
    asIs = await loadModel({ dir, dtype: variant, modelId: "fixture/builder", newPositionsGraph: false });
    tmp = await makeTempDir();
    ids = rewritten.tokenizer.encode(LONG_TEXT);
    question = rewritten.tokenizer.encode("\n\nQ: What does a consumer do?\nA:", { addSpecialTokens: false });
  });
  afterAll(async () => {
    await rewritten?.dispose();
    await asIs?.dispose();
    await tmp?.cleanup();
  });

  it("runs the rewrite by default and the file as it is on request", () => {
    expect(rewritten.io.newPositionsOnly).toBe(true);
    expect(rewritten.io.layers[0]!.presentKey).toBe(`${NEW_POSITIONS_PREFIX}present.0.key`);
    expect(rewritten.session.outputNames.filter((n) => n.startsWith("present."))).toEqual([]);
    expect(asIs.io.newPositionsOnly).toBe(false);
    expect(asIs.io.pastInPlace).toBe(true);
    expect(rewritten.io.pastType).toBe(asIs.io.pastType);
  });

  it("writes the same .kv bytes from a chunked prefill of an empty past", async () => {
    const a = join(tmp.dir, `${variant}-rewritten.kv`);
    const b = join(tmp.dir, `${variant}-as-is.kv`);
    await produceCache({ model: rewritten, contextTokens: ids.slice(0, CACHED), output: a, prefillChunkTokens: 10 });
    await produceCache({ model: asIs, contextTokens: ids.slice(0, CACHED), output: b, prefillChunkTokens: 10 });
    expect((await readFile(a)).equals(await readFile(b))).toBe(true);
  });

  it("resumes and decodes exactly as the file as it is, from a file and from a plain past", async () => {
    const kv = join(tmp.dir, `${variant}-ctx.kv`);
    await produceCache({ model: asIs, contextTokens: ids.slice(0, CACHED), output: kv });
    const resume = async (m: OnnxModel) => {
      const logits: Float32Array[] = [];
      const out = await resumeFromCache({ model: m, kv, questionTokens: question, maxNewTokens: N, ignoreEos: true, onLogits: (l) => logits.push(l) }).collect();
      return { tokens: out.tokens, logits };
    };
    const want = await resume(asIs);
    for (let i = 0; i < 2; i++) {
      const got = await resume(rewritten);
      expect(got.tokens).toEqual(want.tokens);
      expect(maxAbsDiff(got.logits, want.logits)).toBe(0);
    }
    // A past without room: the new positions are appended in new arrays, as the graph's own present would hold them.
    const first = await runForward({ model: rewritten, inputIds: question, past: await emptyPast(rewritten) });
    const firstAsIs = await runForward({ model: asIs, inputIds: question, past: await emptyPast(asIs) });
    const second = await runForward({ model: rewritten, inputIds: [want.tokens[0]!], past: first.present });
    const secondAsIs = await runForward({ model: asIs, inputIds: [want.tokens[0]!], past: firstAsIs.present });
    expect(maxAbsDiff([second.logits], [secondAsIs.logits])).toBe(0);
    expect(second.present.length).toBe(question.length + 1);
    for (const name of Object.keys(secondAsIs.present.tensors)) {
      const mine = second.present.tensors[name]!;
      const theirs = secondAsIs.present.tensors[name]!;
      expect(mine.dims).toEqual(theirs.dims);
      const bytes = (t: typeof mine) => Buffer.from((t.data as Uint16Array).buffer, (t.data as Uint16Array).byteOffset, (t.data as Uint16Array).byteLength);
      expect(bytes(mine).equals(bytes(theirs))).toBe(true);
    }
  });
});

const layerCount = async (dir: string): Promise<number> =>
  (JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as { num_hidden_layers: number }).num_hidden_layers;

describe("buildNewPositionsGraph", () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeAll(async () => {
    tmp = await makeTempDir();
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it("references an inline graph's tensor bytes instead of copying them", async () => {
    const dir = await ensureFixtureModel(builderFixture("separate"));
    const onnx = join(dir, "onnx", "model_q4f16.onnx");
    const layers = await layerCount(dir);
    const graph = await buildNewPositionsGraph(onnx, kvNames(layers));
    expect(graph.folder).toBe(join(dir, "onnx"));
    expect(graph.outputs).toEqual(
      Array.from({ length: layers }, (_, i) => ({ key: `${NEW_POSITIONS_PREFIX}present.${i}.key`, value: `${NEW_POSITIONS_PREFIX}present.${i}.value` })),
    );
    expect(graph.bytes.length).toBeLessThan((await stat(onnx)).size / 4);
    expect(graph.bytes.includes(Buffer.from("model_q4f16.onnx"))).toBe(true);
  });

  it("refuses a file that is not a graph with those presents; a plain-op graph is never rewritten", async () => {
    const junk = join(tmp.dir, "junk.onnx");
    await writeFile(junk, Buffer.from([0xff, 0xff, 0xff]));
    await expect(buildNewPositionsGraph(junk, kvNames(2))).rejects.toThrow(SyntaxError);
    const dir = await ensureFixtureModel(builderFixture("separate"));
    const layers = await layerCount(dir);
    await expect(buildNewPositionsGraph(join(dir, "onnx", "model_q4f16.onnx"), kvNames(layers + 1))).rejects.toThrow(`no output present.${layers}.key`);
    // A plain-op graph (Concat attention) is never rewritten.
    const plain = await loadModel({ dir: await ensureFixtureModel(FIXTURE) });
    try {
      expect(plain.io.newPositionsOnly).toBe(false);
      expect(plain.session.outputNames).toContain("present.0.key");
    } finally {
      await plain.dispose();
    }
  });
});
