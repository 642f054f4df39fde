// GroupQueryAttention graphs load through kvcdn's rewrite whose present outputs hold only the new positions
// (docs/runtime.md#new-positions-graph): every result must be exactly the one the file as it is gives, for prefills
// from an empty past (chunked), resumes over a past with room, decode steps, and every builder variant.
import { copyFile, mkdir, readdir, readFile, realpath, stat, symlink, writeFile } from "node:fs/promises";
import { join, parse, relative } from "node:path";
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
    // Locations are real paths below the file system's root (links resolved), the folder onnxruntime is given.
    const real = await realpath(onnx);
    expect(graph.folder).toBe(parse(real).root);
    expect(graph.outputs).toEqual(
      Array.from({ length: layers }, (_, i) => ({ key: `${NEW_POSITIONS_PREFIX}present.${i}.key`, value: `${NEW_POSITIONS_PREFIX}present.${i}.value` })),
    );
    expect(graph.bytes.length).toBeLessThan((await stat(onnx)).size / 4);
    expect(graph.bytes.includes(Buffer.from(relative(parse(real).root, real)))).toBe(true);
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

  it("loads a Hugging Face hub snapshot, whose files are links to blobs elsewhere, through the rewrite", async () => {
    const source = await ensureFixtureModel(builderFixture("separate"));
    const hub = join(tmp.dir, "hub");
    const snapshot = join(hub, "snapshots", "abc123");
    await mkdir(join(hub, "blobs"), { recursive: true });
    await mkdir(join(snapshot, "onnx"), { recursive: true });
    let blobs = 0;
    const link = async (from: string, to: string): Promise<void> => {
      const blob = join(hub, "blobs", `blob-${blobs++}`);
      await copyFile(from, blob);
      await symlink(blob, to);
    };
    for (const name of await readdir(source)) if (name.endsWith(".json")) await link(join(source, name), join(snapshot, name));
    for (const name of ["model_q4f16.onnx", "model_fp16.onnx", "model_fp16.onnx_data"]) await link(join(source, "onnx", name), join(snapshot, "onnx", name));
    for (const dtype of ["q4f16", "fp16"] as const) {
      const linked = await loadModel({ dir: snapshot, dtype, modelId: "fixture/builder" });
      const original = await loadModel({ dir: source, dtype, modelId: "fixture/builder", newPositionsGraph: false });
      try {
        expect(linked.io.newPositionsOnly).toBe(true);
        const ids = linked.tokenizer.encode(LONG_TEXT).slice(0, 20);
        const a = await runForward({ model: linked, inputIds: ids, past: await emptyPast(linked) });
        const b = await runForward({ model: original, inputIds: ids, past: await emptyPast(original) });
        expect(maxAbsDiff([a.logits], [b.logits])).toBe(0);
      } finally {
        await linked.dispose();
        await original.dispose();
      }
    }
  });

  it("refuses external data its graph names outside the graph's folder", async () => {
    const source = join(await ensureFixtureModel(builderFixture("separate")), "onnx");
    const dir = join(tmp.dir, "escape");
    await mkdir(dir, { recursive: true });
    const bytes = await readFile(join(source, "model_fp16.onnx"));
    // The same length, so the protobuf stays well formed: every tensor now points one folder up.
    const from = Buffer.from("model_fp16.onnx_data");
    const to = Buffer.from("../el_fp16.onnx_data");
    let at = bytes.indexOf(from);
    expect(at).toBeGreaterThan(0);
    for (; at >= 0; at = bytes.indexOf(from, at + 1)) to.copy(bytes, at);
    await writeFile(join(dir, "model_fp16.onnx"), bytes);
    await copyFile(join(source, "model_fp16.onnx_data"), join(tmp.dir, "el_fp16.onnx_data"));
    await expect(buildNewPositionsGraph(join(dir, "model_fp16.onnx"), kvNames(await layerCount(join(source, ".."))))).rejects.toThrow(
      /outside the graph's folder/,
    );
  });
});
