import { copyFile, mkdtemp, open, readFile, rm, stat, truncate, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortError, KvFormatError, LocalFileError } from "../../src/errors/index.js";
import { quantizeKv, readKv, writeKv, type KvArray, type KvCache, type KvDtype } from "../../src/kv/index.js";
import { readKvInto } from "../../src/kv/read-kv-into.js";
import type { KvFileLayout, KvLayerTargets } from "../../src/kv/kv-tensor-targets.js";
import { readVerification, verificationRecordPath } from "../../src/kv/verification-record.js";

describe("readKvInto", { timeout: 60_000 }, () => {
  const LAYERS = 2;
  const HEADS = 3;
  const TOKENS = 5;
  const DIM = 4;
  const EXTRA = 3;
  const SENTINEL_F32 = 0x7fc0dead;
  const SENTINEL_16 = 0xabcd;
  const n = HEADS * TOKENS * DIM;

  /** Values that exercise rounding: random ones plus ties, subnormals, overflow, -0, and (unless finite) Inf/NaN. */
  function values(seed: number, finite: boolean): Float32Array {
    let x = seed * 2654435761;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      out[i] = (x / 2147483648 - 0.5) * 6;
    }
    const special = [1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -20, -0, 65519, 70000, 1e-8, 1 + 2 ** -8];
    special.forEach((v, i) => (out[(i * 7 + seed) % n] = v));
    if (!finite) {
      out[(seed + 3) % n] = Number.POSITIVE_INFINITY;
      out[(seed + 11) % n] = Number.NaN;
    }
    return out;
  }
  const cacheOf = (finite: boolean): KvCache<"F32"> => ({
    dtype: "F32",
    layers: Array.from({ length: LAYERS }, (_, i) => ({
      key: { dtype: "F32", shape: [1, HEADS, TOKENS, DIM], data: values(2 * i + 1, finite) },
      value: { dtype: "F32", shape: [1, HEADS, TOKENS, DIM], data: values(2 * i + 2, finite) },
    })),
  });

  let dir: string;
  const files: Record<string, string> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "kvcdn-read-into-"));
    for (const dtype of ["F32", "F16", "BF16"] as const) {
      files[dtype] = (await writeKv(join(dir, `${dtype}.kv`), cacheOf(false), { dtype, sidecar: { model_name: "m" } })).path;
    }
    files["F16 no sidecar"] = (await writeKv(join(dir, "bare.kv"), cacheOf(false), { dtype: "F16", sidecar: false })).path;
    for (const target of ["F16", "F32", "BF16", "FP8", "I8"]) {
      files[`q8 ${target}`] = (await writeKv(join(dir, `q8-${target}.kv`), quantizeKv(cacheOf(true), { target }), { sidecar: { model_name: "m" } })).path;
    }
    files["q8 no sidecar"] = (await writeKv(join(dir, "q8-bare.kv"), quantizeKv(cacheOf(true)), { sidecar: false })).path;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Bit patterns of a target array, so NaN payloads and -0 compare exactly. */
  const bits = (data: KvArray): Uint32Array | Uint16Array =>
    data instanceof Float32Array ? new Uint32Array(data.buffer, data.byteOffset, data.length) : data;

  /**
   * Targets for `dtype`, all carved out of one shared buffer at element offsets that are not zero (as a pool would),
   * filled with a sentinel; `capacity` positions per head.
   */
  function allocator<D extends KvDtype>(dtype: D, capacity: (l: KvFileLayout) => number = (l) => l.numTokens + EXTRA) {
    const made: Array<KvLayerTargets<D>> = [];
    let seen: KvFileLayout | undefined;
    const allocate = (layout: KvFileLayout): Array<KvLayerTargets<D>> => {
      seen = layout;
      const cap = capacity(layout);
      const per = layout.numKvHeads * cap * layout.headDim + 2; // 2 spare elements after each target
      const total = 1 + 2 * layout.numLayers * per;
      const pool = dtype === "F32" ? new Float32Array(total) : new Uint16Array(total);
      bits(pool).fill(dtype === "F32" ? SENTINEL_F32 : SENTINEL_16);
      let at = 1;
      const next = () => {
        const data = pool.subarray(at, at + per) as KvArray<D>;
        at += per;
        return { data, capacity: cap };
      };
      for (let i = 0; i < layout.numLayers; i++) made.push({ key: next(), value: next() });
      return made;
    };
    return { allocate, made, layout: () => seen };
  }

  /** Expect the targets to hold exactly readKv's tensors at positions < tokens, and the sentinel everywhere else. */
  function expectSameAsReadKv(cache: KvCache, targets: Array<KvLayerTargets>, tokens: number): void {
    expect(targets).toHaveLength(cache.layers.length);
    cache.layers.forEach((layer, i) => {
      for (const kind of ["key", "value"] as const) {
        const want = bits(layer[kind].data);
        const { data, capacity } = targets[i]![kind];
        const got = bits(data);
        const sentinel = data instanceof Float32Array ? SENTINEL_F32 : SENTINEL_16;
        const [, heads, , dim] = layer[kind].shape;
        for (let h = 0; h < heads; h++) {
          for (let t = 0; t < capacity; t++) {
            for (let d = 0; d < dim; d++) {
              const g = got[(h * capacity + t) * dim + d];
              if (t < tokens) {
                if (g !== want[(h * tokens + t) * dim + d]) expect.fail(`layer ${i} ${kind} [${h}, ${t}, ${d}]: ${g} vs readKv ${want[(h * tokens + t) * dim + d]}`);
              } else if (g !== sentinel) expect.fail(`layer ${i} ${kind} [${h}, ${t}, ${d}] (past the tokens) was written`);
            }
          }
        }
        for (let j = heads * capacity * dim; j < got.length; j++) expect(got[j]).toBe(sentinel);
      }
    });
  }

  const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

  for (const file of ["F32", "F16", "BF16", "F16 no sidecar", "q8 F16", "q8 F32", "q8 BF16", "q8 FP8", "q8 I8", "q8 no sidecar"]) {
    for (const dtype of ["F32", "F16", "BF16"] as const) {
      it(`${file} file into ${dtype} targets: exactly readKv's values, nothing past the tokens written`, async () => {
        const a = allocator(dtype);
        const got = await readKvInto(files[file]!, { dtype, allocate: a.allocate, recordVerification: false });
        const want = await readKv(files[file]!, { dtype, recordVerification: false });
        expect(want.cache.dtype).toBe(dtype);
        expectSameAsReadKv(want.cache, a.made, TOKENS);
        expect(got.metadata).toEqual(want.metadata);
        expect(got.sidecar).toEqual(want.sidecar);
        const quantized = file.startsWith("q8");
        const layout = { numLayers: LAYERS, numKvHeads: HEADS, numTokens: TOKENS, headDim: DIM, fileDtype: quantized ? "U8" : file.split(" ")[0], quantized };
        expect(got.layout).toEqual(layout);
        expect(a.layout()).toEqual(layout);
      });
    }
  }

  it("also matches with capacity = tokens (no room to spare)", async () => {
    const a = allocator("F16", (l) => l.numTokens);
    await readKvInto(files.BF16!, { dtype: "F16", allocate: a.allocate });
    expectSameAsReadKv((await readKv(files.BF16!, { dtype: "F16" })).cache, a.made, TOKENS);
  });

  it("dequantizes a file whose codes come before their scales (another writer's order) like readKv", async () => {
    // Hand-made header: k_0_q, k_0_s, v_0_q, v_0_s in data order (kvcdn writes every scale first).
    const q = quantizeKv(cacheOf(true)).layers[0]!;
    const scale = (s: number) => new Uint8Array(new Float32Array([s]).buffer);
    const parts: Array<[string, string, number[], Uint8Array]> = [
      ["k_0_q", "U8", [1, HEADS, TOKENS, DIM], q.key.q],
      ["k_0_s", "F32", [], scale(q.key.scale)],
      ["v_0_q", "U8", [1, HEADS, TOKENS, DIM], q.value.q],
      ["v_0_s", "F32", [], scale(q.value.scale)],
    ];
    const entries: Record<string, unknown> = {};
    let offset = 0;
    for (const [name, dtype, shape, data] of parts) {
      entries[name] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
      offset += data.byteLength;
    }
    let json = JSON.stringify(entries);
    json += " ".repeat((8 - (json.length % 8)) % 8);
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    const path = join(dir, "codes-first.kv");
    await writeFile(path, Buffer.concat([prefix, Buffer.from(json), ...parts.map((p) => p[3])]));
    for (const dtype of ["F32", "F16"] as const) {
      const a = allocator(dtype);
      await readKvInto(path, { dtype, allocate: a.allocate });
      expectSameAsReadKv((await readKv(path, { dtype })).cache, a.made, TOKENS);
    }
  });

  /** Flip one byte of the file in place (same size and inode). */
  async function flipByte(path: string, at: number): Promise<void> {
    const handle = await open(path, "r+");
    try {
      const b = Buffer.alloc(1);
      await handle.read(b, 0, 1, at);
      b[0] = b[0]! ^ 0x5a;
      await handle.write(b, 0, 1, at);
    } finally {
      await handle.close();
    }
  }

  it("reports a corrupted byte as checksum_mismatch (after the read) and records nothing", async () => {
    for (const [name, dtype] of [["F16", "F16"], ["F16", "F32"], ["q8 F16", "F16"]] as const) {
      const path = join(dir, `corrupt-${name.replace(" ", "-")}-${dtype}.kv`);
      await copyFile(files[name]!, path);
      await copyFile(`${files[name]!}.json`, `${path}.json`);
      await flipByte(path, (await stat(path)).size - 7);
      const error = await errorOf(readKvInto(path, { dtype, allocate: allocator(dtype).allocate }));
      expect(error).toBeInstanceOf(KvFormatError);
      expect((error as KvFormatError).code).toBe("checksum_mismatch");
      expect((error as KvFormatError).path).toBe(path);
      expect(((await errorOf(readKv(path, { dtype }))) as KvFormatError).code).toBe("checksum_mismatch");
      expect(await readVerification(path)).toBeUndefined();
      // Not checked on request, as readKv.
      await expect(readKvInto(path, { dtype, allocate: allocator(dtype).allocate, verifySha256: false })).resolves.toBeDefined();
    }
  });

  it("writes a verification record on a first read, then trusts it exactly as readKv does", async () => {
    const path = join(dir, "trusted.kv");
    await copyFile(files.F16!, path);
    await copyFile(`${files.F16!}.json`, `${path}.json`);
    const sha256 = JSON.parse(await readFile(`${path}.json`, "utf8")).sha256 as string;
    // A whole-second mtime, so that utimes can restore it to the nanosecond after the corruption below.
    const when = Math.floor(Date.now() / 1000) - 60;
    await utimes(path, when, when);
    await readKvInto(path, { dtype: "F16", allocate: allocator("F16").allocate, recordVerification: false });
    expect(await readVerification(path)).toBeUndefined();
    await readKvInto(path, { dtype: "F16", allocate: allocator("F16").allocate });
    expect((await readVerification(path))?.sha256).toBe(sha256);

    // Corrupt a tensor byte and put the mtime back: size, mtime and inode are what the record says.
    const before = await stat(path, { bigint: true });
    const at = Number(before.size) - 3;
    await flipByte(path, at);
    await utimes(path, when, when);
    const after = await stat(path, { bigint: true });
    expect([after.size, after.mtimeNs, after.ino]).toEqual([before.size, before.mtimeNs, before.ino]);

    // Both readers skip the hash and return the corrupted bytes, identically.
    const a = allocator("F16");
    await expect(readKvInto(path, { dtype: "F16", allocate: a.allocate })).resolves.toMatchObject({ metadata: { sha256 } });
    const trustedCache = (await readKv(path, { dtype: "F16" })).cache;
    expectSameAsReadKv(trustedCache, a.made, TOKENS);
    const clean = (await readKv(files.F16!, { dtype: "F16" })).cache;
    const last = LAYERS - 1;
    expect(trustedCache.layers[last]!.value.data[n - 2]).not.toBe(clean.layers[last]!.value.data[n - 2]);

    // Without the record, the same file fails the check.
    await rm(verificationRecordPath(path));
    const error = await errorOf(readKvInto(path, { dtype: "F16", allocate: allocator("F16").allocate }));
    expect((error as KvFormatError).code).toBe("checksum_mismatch");
  });

  it("gives readKv's typed errors for a missing, truncated or contradicted file, before calling allocate", async () => {
    const cases: Array<[string, () => Promise<string>, unknown, string | undefined]> = [
      ["missing", async () => join(dir, "nope.kv"), LocalFileError, undefined],
      [
        "truncated",
        async () => {
          const path = join(dir, "short.kv");
          await copyFile(files.F16!, path);
          await truncate(path, (await stat(path)).size - 10);
          return path;
        },
        KvFormatError,
        "bad_offsets",
      ],
      [
        "sidecar nbytes wrong",
        async () => {
          const path = join(dir, "lying.kv");
          await copyFile(files.F32!, path);
          const sc = JSON.parse(await readFile(`${files.F32!}.json`, "utf8"));
          await writeFile(`${path}.json`, JSON.stringify({ ...sc, nbytes: sc.nbytes + 1 }));
          return path;
        },
        KvFormatError,
        "sidecar_mismatch",
      ],
    ];
    for (const [, make, type, code] of cases) {
      const path = await make();
      let called = false;
      const error = await errorOf(readKvInto(path, { dtype: "F32", allocate: (l) => ((called = true), allocator("F32").allocate(l)) }));
      const reference = await errorOf(readKv(path, { dtype: "F32" }));
      expect(error).toBeInstanceOf(type);
      expect(reference).toBeInstanceOf(type);
      if (code !== undefined) {
        expect((error as KvFormatError).code).toBe(code);
        expect((reference as KvFormatError).code).toBe(code);
        expect((error as KvFormatError).path).toBe(path);
      }
      expect(called).toBe(false);
    }
  });

  it("refuses bad allocate results with a RangeError before reading any tensor byte", async () => {
    const ok = allocator("F32");
    const bad: Array<[string, (good: Array<KvLayerTargets<"F32">>) => unknown, RegExp]> = [
      ["too few layers", (g) => g.slice(0, 1), /1 layers; the file has 2/],
      ["not an array", () => ({}), /object; the file has 2/],
      ["missing value", (g) => [g[0], { key: g[1]!.key }], /no layer 1 value target/],
      ["wrong array type", (g) => [g[0], { ...g[1], value: { data: new Uint16Array(1000), capacity: TOKENS } }], /Float32Array for F32/],
      ["capacity < tokens", (g) => [g[0], { ...g[1], key: { data: g[1]!.key.data, capacity: TOKENS - 1 } }], /capacity 4 must be an integer ≥ the file's 5 tokens/],
      ["fractional capacity", (g) => [g[0], { ...g[1], key: { data: g[1]!.key.data, capacity: TOKENS + 0.5 } }], /capacity 5.5/],
      ["data too short", (g) => [g[0], { ...g[1], key: { data: new Float32Array(HEADS * 9 * DIM - 1), capacity: 9 } }], /needs? 108/],
    ];
    for (const [, mutate, message] of bad) {
      const error = await errorOf(readKvInto(files.F32!, { dtype: "F32", allocate: (l) => mutate(ok.allocate(l)) as Array<KvLayerTargets<"F32">> }));
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(message);
      // Layer 0's targets were valid and stay untouched: nothing was read.
      for (const t of [ok.made[0]!.key, ok.made[0]!.value]) expect(bits(t.data).every((b) => b === SENTINEL_F32)).toBe(true);
      ok.made.length = 0;
    }
    const error = await errorOf(readKvInto(files.F32!, { dtype: "F8" as "F32", allocate: ok.allocate }));
    expect((error as KvFormatError).code).toBe("unsupported_dtype");
  });

  it("throws kvcdn's AbortError for an aborted signal, and for one aborted during allocate (before any tensor read)", async () => {
    const before = new AbortController();
    before.abort("stop");
    const e1 = await errorOf(readKvInto(files.F16!, { dtype: "F32", allocate: allocator("F32").allocate, signal: before.signal }));
    expect(e1).toBeInstanceOf(AbortError);
    expect((e1 as AbortError).cause).toBe("stop");

    for (const dtype of ["F16", "F32"] as const) {
      const during = new AbortController();
      const a = allocator(dtype);
      const e2 = await errorOf(
        readKvInto(files.F16!, {
          dtype,
          signal: during.signal,
          allocate: (l) => {
            const t = a.allocate(l);
            during.abort("late");
            return t;
          },
        }),
      );
      expect(e2).toBeInstanceOf(AbortError);
      const sentinel = dtype === "F32" ? SENTINEL_F32 : SENTINEL_16;
      for (const layer of a.made) for (const t of [layer.key, layer.value]) expect(bits(t.data).every((b) => b === sentinel)).toBe(true);
    }
  });
});
