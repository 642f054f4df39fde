// The builder-layout files: which ops and attributes the graphs use (the builder's), where their weights live
// (one model*.onnx_data for fp32 / fp16, inside the graph for q4 / q4f16), config.json's transformers.js flags, the
// 4-bit packing, the cache key, and bad options failing with a typed error that leaves nothing behind.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto, { type onnx as Onnx } from "onnx-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createFixtureModel,
  dequantizeQ4,
  ensureFixtureModel,
  FixtureModelError,
  quantizeQ4,
  variantOnnxFile,
  type BuilderVariant,
} from "../../src/testing/index.js";
import { builderFixture } from "../onnx/helpers.js";

const { onnx } = onnxProto as unknown as { onnx: typeof Onnx };
const decode = async (dir: string, variant: BuilderVariant): Promise<Onnx.ModelProto> =>
  onnx.ModelProto.decode(await readFile(join(dir, variantOnnxFile(variant))));
const attr = (node: Onnx.INodeProto, name: string) => node.attribute!.find((a) => a.name === name);
const opTypes = (model: Onnx.ModelProto) => new Set(model.graph!.node!.map((n) => n.opType));

let scratch: string;
let separate: string;
let fused: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "kvcdn-builder-"));
  [separate, fused] = await Promise.all([ensureFixtureModel(builderFixture("separate")), ensureFixtureModel(builderFixture("fused"))]);
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("builder-layout graphs", () => {
  it("use GroupQueryAttention, RotaryEmbedding, (Skip)SimplifiedLayerNormalization and MatMulNBits at opset 14 + com.microsoft 1", async () => {
    const q4 = await decode(separate, "q4f16");
    expect(q4.opsetImport!.map((o) => [o.domain, Number(o.version)])).toEqual([["", 14], ["com.microsoft", 1]]);
    const ops = opTypes(q4);
    for (const op of ["GroupQueryAttention", "RotaryEmbedding", "SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization", "MatMulNBits", "Sigmoid"]) {
      expect(ops.has(op), op).toBe(true);
    }
    expect(ops.has("MatMul")).toBe(false); // every linear layer, lm_head included, is 4-bit
    const contrib = q4.graph!.node!.filter((n) => n.domain === "com.microsoft").map((n) => n.opType);
    expect(new Set(contrib)).toEqual(new Set(["GroupQueryAttention", "RotaryEmbedding", "SkipSimplifiedLayerNormalization", "MatMulNBits"]));
    const nbits = q4.graph!.node!.find((n) => n.name === "/lm_head/MatMulNBits")!;
    expect([attr(nbits, "K")!.i, attr(nbits, "N")!.i, attr(nbits, "bits")!.i, attr(nbits, "block_size")!.i].map(Number)).toEqual([64, 151936, 4, 32]);
    expect(nbits.input).toHaveLength(3); // no zero_points: symmetric, 8 implied

    const fp32 = await decode(separate, "fp32");
    expect(opTypes(fp32).has("MatMulNBits")).toBe(false);
    expect(opTypes(fp32).has("MatMul")).toBe(true);
  });

  it("feed GroupQueryAttention seqlens_k and total_sequence_length from the mask; fused rotary adds the caches and drops position_ids", async () => {
    for (const [dir, rotary] of [[separate, "separate"], [fused, "fused"]] as const) {
      const model = await decode(dir, "fp16");
      const gqa = model.graph!.node!.filter((n) => n.opType === "GroupQueryAttention");
      expect(gqa).toHaveLength(3);
      const first = gqa[0]!;
      expect(first.input!.slice(3, 7)).toEqual([
        "past_key_values.0.key",
        "past_key_values.0.value",
        "/model/attn_mask_reformat/seqlens_k/output_0",
        "/model/attn_mask_reformat/total_seq_len/output_0",
      ]);
      expect(first.output).toEqual(["/model/layers.0/attn/GroupQueryAttention/output_0", "present.0.key", "present.0.value"]);
      expect([attr(first, "num_heads")!.i, attr(first, "kv_num_heads")!.i, attr(first, "do_rotary")!.i].map(Number)).toEqual([4, 2, rotary === "fused" ? 1 : 0]);
      expect(attr(first, "scale")!.f).toBeCloseTo(1 / Math.sqrt(32), 6);
      expect(first.input!.slice(7)).toEqual(rotary === "fused" ? ["cos_cache", "sin_cache"] : []);
      expect(opTypes(model).has("RotaryEmbedding")).toBe(rotary === "separate");
      expect(model.graph!.input!.map((i) => i.name).includes("position_ids")).toBe(rotary === "separate");
      const types = new Set(model.graph!.output!.map((o) => o.type!.tensorType!.elemType));
      expect(types).toEqual(new Set([10])); // float16 logits and presents
    }
  });

  it("keep fp32 / fp16 weights in one aligned model*.onnx_data and q4 / q4f16 weights inside the graph", async () => {
    for (const variant of ["fp32", "fp16"] as const) {
      const model = await decode(separate, variant);
      const external = model.graph!.initializer!.filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
      expect(external.length).toBeGreaterThan(30);
      const file = `${variantOnnxFile(variant).slice("onnx/".length)}_data`;
      for (const t of external) {
        const entries = Object.fromEntries(t.externalData!.map((e) => [e.key, e.value]));
        expect(entries["location"]).toBe(file);
        expect(Number(entries["offset"]) % 4096).toBe(0);
      }
    }
    for (const variant of ["q4", "q4f16"] as const) {
      const model = await decode(separate, variant);
      expect(model.graph!.initializer!.every((t) => t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL)).toBe(true);
      const scales = model.graph!.initializer!.find((t) => t.name === "lm_head.MatMul.weight_scales")!;
      expect(scales.dataType).toBe(variant === "q4f16" ? 10 : 1);
      expect(scales.dims!.map(Number)).toEqual([151936 * 2]);
    }
    expect((await readdir(join(separate, "onnx"))).sort()).toEqual([
      "model.onnx",
      "model.onnx_data",
      "model_fp16.onnx",
      "model_fp16.onnx_data",
      "model_q4.onnx",
      "model_q4f16.onnx",
    ]);
    const config = JSON.parse(await readFile(join(separate, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config["transformers.js_config"]).toEqual({ use_external_data_format: { "model.onnx": true, "model_fp16.onnx": true } });
    expect(config["kvcdn_fixture"]).toMatchObject({ layout: "builder", variants: ["fp32", "fp16", "q4f16", "q4"], rotary: "separate" });
  });

  it("are cached under a key naming the layout, rotary mode and variants", () => {
    expect(separate).toMatch(/\/tiny-builder-separate-fp32\+fp16\+q4f16\+q4-7-g\d+-[0-9a-f]{8}$/);
    expect(fused).toMatch(/\/tiny-builder-fused-fp32\+fp16\+q4f16\+q4-7-g\d+-[0-9a-f]{8}$/);
  });
});

describe("quantizeQ4", () => {
  it("packs two codes per byte, low nibble first, with the largest magnitude at code 0 and zero at 8", () => {
    const values = Float32Array.from({ length: 32 }, (_, i) => (i === 5 ? -4 : i === 0 ? 0 : i === 1 ? 3.5 : 0.25));
    const q = quantizeQ4(values, 1, 32);
    expect(q.scales[0]).toBe(0.5); // −(−4) / 8
    expect(q.packed).toHaveLength(16);
    expect(q.packed[0]! & 0x0f).toBe(8); // 0 → 8
    expect(q.packed[0]! >> 4).toBe(15); // 3.5 / 0.5 + 8
    expect(q.packed[2]! >> 4).toBe(0); // element 5: −4 → 0
    expect(Array.from(dequantizeQ4(q).slice(0, 6))).toEqual([0, 3.5, 0.5, 0.5, 0.5, -4]); // 0.25 is half a step: rounds up
  });

  it("keeps every value within half a step of its block scale, pads a partial block and rounds scales to float16 on request", () => {
    const n = 3;
    const k = 40; // one full block and one of 8
    const values = Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 7)));
    for (const f16Scales of [false, true]) {
      const q = quantizeQ4(values, n, k, { f16Scales });
      expect(q.packed).toHaveLength(n * 2 * 16);
      expect(q.scales).toHaveLength(n * 2);
      const back = dequantizeQ4(q);
      for (let i = 0; i < values.length; i++) {
        const scale = Math.abs(q.scales[Math.floor(i / k) * 2 + Math.floor((i % k) / 32)]!);
        expect(Math.abs(back[i]! - values[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-6 + (f16Scales ? 8 * scale * 2 ** -11 : 0));
      }
    }
  });
});

describe("bad builder options", () => {
  it.each([
    ["an unknown variant", { layout: "builder", variants: ["q8"] }],
    ["an empty variant list", { layout: "builder", variants: [] }],
    ["an unknown rotary mode", { layout: "builder", rotary: "inline" }],
    ["variants with the plain layout", { variants: ["q4"] }],
    ["externalData with the builder layout", { layout: "builder", externalData: true }],
    ["an unknown layout", { layout: "genai" }],
  ])("%s is a FixtureModelError and writes nothing", async (_, options) => {
    const dir = join(scratch, "bad");
    const error = await createFixtureModel({ dir, shape: "tiny", ...(options as object) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FixtureModelError);
    expect((error as FixtureModelError).code).toBe("bad_options");
    expect(await readdir(scratch)).toEqual([]);
  });

  it("an abort midway leaves neither the folder nor a temporary one", async () => {
    const controller = new AbortController();
    const error = await createFixtureModel({
      dir: join(scratch, "aborted"),
      shape: "tiny",
      layout: "builder",
      variants: ["fp16", "q4"],
      signal: controller.signal,
      onProgress: (e) => {
        if (e.done === 5) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
    expect(await readdir(scratch)).toEqual([]);
  });
});
