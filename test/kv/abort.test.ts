import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortError, isAbortError, KvcdnError } from "../../src/errors/index.js";
import { readKv, readSafetensors, writeKv, writeSidecar, type KvCache } from "../../src/kv/index.js";

const cache: KvCache<"F32"> = {
  dtype: "F32",
  layers: [0, 1].map(() => ({
    key: { dtype: "F32", shape: [1, 2, 3, 4], data: new Float32Array(24).fill(0.5) },
    value: { dtype: "F32", shape: [1, 2, 3, 4], data: new Float32Array(24).fill(-0.5) },
  })),
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-kv-abort-"));
  await writeKv(join(dir, "ctx.kv"), cache);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const aborted = () => {
  const c = new AbortController();
  c.abort("user cancelled");
  return c.signal;
};

async function expectKvcdnAbort(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AbortError); // kvcdn's, not a DOMException
  expect(error).toBeInstanceOf(KvcdnError);
  expect(isAbortError(error)).toBe(true);
  expect((error as AbortError).code).toBe("aborted");
  expect((error as AbortError).cause).toBe("user cancelled");
}

describe(".kv readers and writers throw kvcdn's AbortError when the signal fires", () => {
  it("readKv and readSafetensors", async () => {
    await expectKvcdnAbort(readKv(join(dir, "ctx.kv"), { signal: aborted() }));
    await expectKvcdnAbort(readSafetensors(join(dir, "ctx.kv"), { signal: aborted() }));
  });

  it("writeKv and writeSidecar, leaving nothing behind", async () => {
    const before = await readdir(dir);
    await expectKvcdnAbort(writeKv(join(dir, "new.kv"), cache, { signal: aborted() }));
    await expectKvcdnAbort(
      writeSidecar(join(dir, "new.kv"), { model_name: "m", num_layers: 2, num_tokens: 3, dtype: "F32", storage_dtype: "F32", nbytes: 1, quantized: false }, { signal: aborted() }),
    );
    expect(await readdir(dir)).toEqual(before);
  });
});
