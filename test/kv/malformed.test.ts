// Every malformed input named in the issue gets a KvFormatError with a precise code, from the file reader and from
// the in-memory decoder alike.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeKv, readKv, readKvMetadata, readSafetensorsHeader, type KvFormatErrorCode } from "../../src/kv/index.js";

const enc = new TextEncoder();

/** Assemble a file by hand: u64 length, the header text padded to 8, then `data`. */
function file(header: string | object, data: Uint8Array | number = 0, lengthOverride?: bigint): Uint8Array {
  let json = enc.encode(typeof header === "string" ? header : JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  json = Uint8Array.from([...json, ...new Array<number>(pad).fill(0x20)]);
  const body = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

const e = (dtype: string, shape: number[], start: number, end: number) => ({ dtype, shape, data_offsets: [start, end] });
/** A valid one-layer F16 [1,1,2,2] layout (8 bytes per tensor). */
const good = { k_0: e("F16", [1, 1, 2, 2], 0, 8), v_0: e("F16", [1, 1, 2, 2], 8, 16) };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-bad-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cases: Array<[string, Uint8Array, KvFormatErrorCode]> = [
  ["a file shorter than 8 bytes", new Uint8Array(5), "file_too_small"],
  ["a header length above 100 MB", file(good, 16, 100_000_001n), "header_too_large"],
  ["a header length of 2^63", file(good, 16, 1n << 63n), "header_too_large"],
  ["a header length beyond the file", file(good, 16, 4096n), "header_too_large"],
  ["a header that is not UTF-8", file('{"?":1}', 0).map((b, i) => (i === 10 ? 0xff : b)), "invalid_utf8"],
  ["a header that does not start with {", file(` ${JSON.stringify(good)}`, 16), "invalid_header_start"],
  ["a UTF-8 BOM before the header", withBom(), "invalid_header_start"],
  ["invalid JSON", file('{"k_0":{"dtype":"F16",}}', 0), "invalid_json"],
  ["JSON with trailing garbage", file('{"k_0":1} x', 0), "invalid_json"],
  ["a non-object entry", file({ k_0: [1] }, 0), "bad_tensor_info"],
  ["an entry without shape", file({ k_0: { dtype: "F16", data_offsets: [0, 0] } }, 0), "bad_tensor_info"],
  ["a fractional dimension", file('{"k_0":{"dtype":"F16","shape":[1.5],"data_offsets":[0,2]}}', 2), "bad_tensor_info"],
  ["a negative offset", file({ k_0: e("F16", [1], -2, 0) }, 0), "bad_tensor_info"],
  ["an unknown dtype", file({ k_0: e("F17", [1], 0, 2) }, 2), "unknown_dtype"],
  ["a shape whose product overflows", file({ k_0: e("F16", [2 ** 30, 2 ** 30, 2 ** 30], 0, 2) }, 2), "shape_overflow"],
  ["a dimension above 2^53", file('{"k_0":{"dtype":"F16","shape":[99999999999999999999],"data_offsets":[0,2]}}', 2), "shape_overflow"],
  ["a byte length that does not match the shape", file({ k_0: e("F16", [1, 1, 2, 2], 0, 6), v_0: e("F16", [1, 1, 2, 2], 6, 14) }, 14), "byte_length_mismatch"],
  ["sub-byte elements that do not fill a byte", file({ k_0: e("F4", [3], 0, 1) }, 1), "misaligned_tensor"],
  ["a gap between tensors", file({ k_0: e("F16", [1, 1, 2, 2], 0, 8), v_0: e("F16", [1, 1, 2, 2], 10, 18) }, 18), "bad_offsets"],
  ["overlapping tensors", file({ k_0: e("F16", [1, 1, 2, 2], 0, 8), v_0: e("F16", [1, 1, 2, 2], 4, 12) }, 12), "bad_offsets"],
  ["offsets that end before they start", file({ k_0: e("F16", [1, 1, 2, 2], 8, 0) }, 8), "bad_offsets"],
  ["tensors running past the end of the file", file(good, 12), "bad_offsets"],
  ["bytes after the last tensor", file(good, 20), "trailing_data"],
  ["a duplicate tensor name", file('{"k_0":{"dtype":"F16","shape":[1,1,2,2],"data_offsets":[0,8]},"k_0":{"dtype":"F16","shape":[1,1,2,2],"data_offsets":[8,16]}}', 16), "duplicate_tensor"],
  ["__metadata__ that is not a string map", file({ __metadata__: { a: 1 }, ...good }, 16), "bad_metadata"],
  ["no KV tensors", file({ x: e("F16", [1], 0, 2) }, 2), "no_kv_tensors"],
  ["a k without its v", file({ k_0: e("F16", [1, 1, 2, 2], 0, 8) }, 8), "missing_tensor"],
  ["a missing layer", file({ ...good, k_2: e("F16", [1, 1, 2, 2], 16, 24), v_2: e("F16", [1, 1, 2, 2], 24, 32) }, 32), "missing_layer"],
  ["an unexpected tensor", file({ ...good, extra: e("F16", [1], 16, 18) }, 18), "unexpected_tensor"],
  ["inconsistent shapes across layers", file({ ...good, k_1: e("F16", [1, 1, 1, 2], 16, 20), v_1: e("F16", [1, 1, 1, 2], 20, 24) }, 24), "inconsistent_shape"],
  ["a rank-3 tensor", file({ k_0: e("F16", [1, 2, 2], 0, 8), v_0: e("F16", [1, 2, 2], 8, 16) }, 16), "bad_shape"],
  ["mixed dtypes", file({ k_0: e("F16", [1, 1, 2, 2], 0, 8), v_0: e("BF16", [1, 1, 2, 2], 8, 16) }, 16), "bad_dtype"],
  ["integer KV tensors", file({ k_0: e("I16", [1, 1, 2, 2], 0, 8), v_0: e("I16", [1, 1, 2, 2], 8, 16) }, 16), "unsupported_dtype"],
  ["quantized tensors without scales", file({ k_0_q: e("U8", [1, 1, 2, 2], 0, 4), v_0_q: e("U8", [1, 1, 2, 2], 4, 8) }, 8), "missing_scale"],
  [
    "per-token (non-scalar) scales",
    file({ k_0_s: e("F32", [1, 1, 2, 1], 0, 8), v_0_s: e("F32", [], 8, 12), k_0_q: e("U8", [1, 1, 2, 2], 12, 16), v_0_q: e("U8", [1, 1, 2, 2], 16, 20) }, 20),
    "bad_scale",
  ],
  [
    "a zero scale",
    file({ k_0_s: e("F32", [], 0, 4), v_0_s: e("F32", [], 4, 8), k_0_q: e("U8", [1, 1, 2, 2], 8, 12), v_0_q: e("U8", [1, 1, 2, 2], 12, 16) }, 16),
    "bad_scale",
  ],
  ["plain and quantized tensors mixed", file({ ...good, k_0_q: e("U8", [1, 1, 2, 2], 16, 20) }, 20), "unexpected_tensor"],
  ["nesting deeper than 64 levels", file(`{"k_0":${"[".repeat(100)}${"]".repeat(100)}}`, 0), "invalid_json"],
];

function withBom(): Uint8Array {
  const bytes = file(`${JSON.stringify(good)}   `, 16); // 3 spare bytes of padding become the BOM
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const json = bytes.slice(8, 8 + n - 3);
  bytes.set([0xef, 0xbb, 0xbf], 8);
  bytes.set(json, 11);
  return bytes;
}

describe("malformed .kv files", () => {
  it.each(cases)("rejects %s", async (name, bytes, code) => {
    expect(() => decodeKv(bytes), name).toThrow(expect.objectContaining({ name: "KvFormatError", code }));
    const path = join(dir, `${name.replace(/\W+/g, "-")}.kv`);
    await writeFile(path, bytes);
    await expect(readKv(path)).rejects.toMatchObject({ name: "KvFormatError", code, path });
  });

  it("checks a huge header length before allocating anything from it", async () => {
    const path = join(dir, "huge.kv");
    await writeFile(path, file(good, 16, 99_999_999n));
    await expect(readSafetensorsHeader(path)).rejects.toMatchObject({ code: "header_too_large" });
  });

  it("applies kvcdn-cli's 16 MiB header cap in the header-only metadata fallback", async () => {
    const path = join(dir, "big-header.kv");
    const pad = " ".repeat(16 * 1024 * 1024 + 8);
    await writeFile(path, file(JSON.stringify(good) + pad, 16));
    await expect(readKvMetadata(path)).rejects.toMatchObject({ code: "header_too_large" });
    await expect(readSafetensorsHeader(path)).resolves.toBeDefined();
  });

  it("accepts the valid layout these cases are built from", () => {
    expect(decodeKv(file(good, 16)).metadata).toMatchObject({ num_layers: 1, num_tokens: 2, dtype: "F16" });
  });
});
