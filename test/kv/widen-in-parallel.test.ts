// Widening on two threads (src/kv/widen-in-parallel.ts, src/kv/widen-worker.ts): the helper thread's own copy of the
// conversion must agree with f16ToF32 / bf16ToF32 bit for bit, hand every buffer back, and readKv must return the
// same cache through it as through one thread.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { castKv, f16ToF32, bf16ToF32, readKv, writeKv, type KvCache } from "../../src/kv/index.js";
import { PARALLEL_WIDEN_MIN_ELEMENTS, widenToF32InParallel } from "../../src/kv/widen-in-parallel.js";
import { widenOnHelperThread } from "../../src/kv/widen-worker.js";

const root = join(import.meta.dirname, "..", "..");
const bitsOf = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);
/** Whether two F32 arrays hold the same bit patterns (a byte compare: element-wise deep equality is far too slow here). */
const sameBits = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** `count` arrays of `length` elements, views at odd offsets into one buffer, cycling through every 16-bit pattern. */
function patterns(count: number, length: number, offset = 0): Uint16Array[] {
  const all = new Uint16Array(offset + count * length);
  for (let i = 0; i < all.length; i++) all[i] = ((i + offset) * 40503) & 0xffff;
  return Array.from({ length: count }, (_, i) => all.subarray(offset + i * length, offset + (i + 1) * length));
}

describe("the widening helper thread", () => {
  for (const from of ["F16", "BF16"] as const) {
    it(`widens every ${from} pattern exactly as this thread does, into the buffers it is given, and hands them back`, async () => {
      const src = patterns(1, 65536)[0]!;
      const source = src.slice().buffer;
      const outputs = [new ArrayBuffer(4 * 65536)];
      const answers: Array<{ index: number; buffer: ArrayBuffer }> = [];
      await widenOnHelperThread({ source, jobs: [[0, 65536]], from, outputs }, (index, buffer) => answers.push({ index, buffer }));
      expect(source.byteLength, "the source went to the helper").toBe(0);
      expect(outputs[0]!.byteLength, "the output buffer went to the helper").toBe(0);
      expect(answers.map((a) => a.index)).toEqual([0]);
      const back = answers[0]!;
      expect(back.buffer.byteLength).toBe(4 * 65536);
      const expected = from === "F16" ? f16ToF32(src) : bf16ToF32(src);
      expect(sameBits(new Float32Array(back.buffer), expected)).toBe(true);
    });
  }
});

describe("widenToF32InParallel", () => {
  it("returns every array widened, in order, as plain buffers of their own, whichever thread widened it", async () => {
    // Arrays of unequal sizes, so the helper's share (taken from the end) is not simply the later half.
    const arrays = [...patterns(2, 1000), ...patterns(5, 70001, 3), ...patterns(1, 5, 1)];
    const before = arrays.map((a) => Uint16Array.from(a));
    for (const from of ["F16", "BF16"] as const) {
      const out = await widenToF32InParallel(arrays, from, { minElements: 0 });
      expect(out).toHaveLength(arrays.length);
      out.forEach((a, i) => {
        expect(sameBits(a, from === "F16" ? f16ToF32(arrays[i]!) : bf16ToF32(arrays[i]!))).toBe(true);
        expect(a.buffer.byteLength).toBe(4 * a.length);
      });
      arrays.forEach((a, i) => expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(before[i]!.buffer)), "the inputs are left as they were").toBe(true));
    }
  });

  it("widens small batches on this thread (same values)", async () => {
    const arrays = patterns(2, 8);
    const out = await widenToF32InParallel(arrays, "F16");
    expect(out.map((a) => Array.from(bitsOf(a)))).toEqual(arrays.map((a) => Array.from(bitsOf(f16ToF32(a)))));
  });

  it("answers two batches in flight at once with their own arrays", async () => {
    const a = patterns(4, 50000, 1);
    const b = patterns(4, 50000, 2);
    const [x, y] = await Promise.all([widenToF32InParallel(a, "F16", { minElements: 0 }), widenToF32InParallel(b, "F16", { minElements: 0 })]);
    x!.forEach((arr, i) => expect(sameBits(arr, f16ToF32(a[i]!))).toBe(true));
    y!.forEach((arr, i) => expect(sameBits(arr, f16ToF32(b[i]!))).toBe(true));
  });
});

describe("readKv of a large F16 file as F32", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("returns the cache one thread would", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kvcdn-widen-"));
    dirs.push(dir);
    // 4 layers × [1, 8, 65536, 16] = 67 M elements (a 134 MB file), at the threshold: the two-thread path.
    const shape = [1, 8, 65536, 16] as [number, number, number, number];
    const n = 8 * 65536 * 16;
    expect(4 * 2 * n).toBeGreaterThanOrEqual(PARALLEL_WIDEN_MIN_ELEMENTS);
    const tensor = (seed: number) => {
      const data = new Uint16Array(n);
      for (let i = 0; i < n; i++) data[i] = Math.imul(i + seed, 2654435761) >>> 16;
      return { dtype: "F16" as const, shape, data };
    };
    const cache: KvCache<"F16"> = { dtype: "F16", layers: Array.from({ length: 4 }, (_, l) => ({ key: tensor(2 * l), value: tensor(2 * l + 1) })) };
    const file = join(dir, "big.kv");
    await writeKv(file, cache, { sidecar: { model_name: "m" } });
    const wide = await readKv(file, { dtype: "F32", recordVerification: false });
    const reference = castKv((await readKv(file, { recordVerification: false })).cache, "F32");
    expect(wide.cache.dtype).toBe("F32");
    wide.cache.layers.forEach((layer, l) => {
      for (const kind of ["key", "value"] as const) {
        expect(layer[kind].shape).toEqual(shape);
        expect(sameBits(layer[kind].data as Float32Array, reference.layers[l]![kind].data as Float32Array)).toBe(true);
      }
    });
  });

  it("lets a process that used it exit on its own, in the ESM and CommonJS builds", () => {
    // The helper thread stays for later calls but must not hold the process open once no call waits on it.
    const body =
      `const dir = mkdtempSync(join(tmpdir(), "kvcdn-widen-exit-"));` +
      `const t = () => ({ dtype: "F16", shape: [1, 8, 65536, 16], data: new Uint16Array(8388608).fill(0x3c00) });` +
      `(async () => {` +
      `  await writeKv(join(dir, "a.kv"), { dtype: "F16", layers: [0, 1, 2, 3].map(() => ({ key: t(), value: t() })) });` +
      `  const { cache } = await readKv(join(dir, "a.kv"), { dtype: "F32" });` +
      `  rmSync(dir, { recursive: true });` +
      `  console.log(cache.layers[3].value.data[8388607]);` +
      `})();`;
    const runs = {
      cjs: ["-e", `const { readKv, writeKv } = require("./dist/kv.cjs"); const { mkdtempSync, rmSync } = require("node:fs"); const { join } = require("node:path"); const { tmpdir } = require("node:os"); ${body}`],
      esm: ["--input-type=module", "-e", `import { readKv, writeKv } from "./dist/kv.js"; import { mkdtempSync, rmSync } from "node:fs"; import { join } from "node:path"; import { tmpdir } from "node:os"; ${body}`],
    };
    for (const [kind, args] of Object.entries(runs)) {
      const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", timeout: 60_000 });
      expect(r.stderr, kind).toBe("");
      expect(r.status, `${kind} exits with 0 (not killed by the timeout)`).toBe(0);
      expect(r.stdout.trim(), kind).toBe("1");
    }
  });
});
