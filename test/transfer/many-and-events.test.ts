import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { downloadMany } from "../../src/transfer/download-many.js";
import type { TransferProgress } from "../../src/transfer/progress.js";
import { downloadArtifactEvents, uploadArtifactEvents } from "../../src/transfer/transfer-event-streams.js";
import { uploadMany } from "../../src/transfer/upload-many.js";
import { writeKvFixture } from "./kv-fixture.js";
import { FAST_RETRY, startHarness, type Harness } from "./store-harness.js";

let h: Harness;
const files: Array<{ path: string; sha256: string; nbytes: number }> = [];
beforeAll(async () => {
  h = await startHarness();
  for (let i = 0; i < 5; i++) files.push(await writeKvFixture(join(h.dir, `c${i}.kv`), { layers: 2, tokens: 64, seed: i + 1 }));
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  h.store.faults.clear();
  for (const a of await h.artifacts()) await h.client.delete(a.id);
});

describe("uploadMany / downloadMany", () => {
  it("upload several files with bounded concurrency and settle each one on its own", async () => {
    // One file does not exist; the others succeed regardless.
    const results = await uploadMany({
      client: h.client,
      files: [...files.map((f) => f.path), join(h.dir, "missing.kv")],
      concurrency: 2,
      retry: FAST_RETRY,
    });
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "fulfilled", "fulfilled", "rejected"]);
    expect(results[5]).toMatchObject({ item: join(h.dir, "missing.kv"), reason: { name: "LocalFileError", code: "ENOENT" } });
    const ready = await h.artifacts();
    expect(ready.map((a) => a.checksum).sort()).toEqual(files.map((f) => f.sha256).sort());

    const out = join(h.dir, "many");
    await mkdir(out, { recursive: true });
    const ids = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.id] : []));
    const downloads = await downloadMany({ client: h.client, sources: [...ids, "00000000-0000-4000-8000-000000000000"], dest: out, concurrency: 3 });
    expect(downloads.map((d) => d.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "fulfilled", "fulfilled", "rejected"]);
    expect(downloads[5]).toMatchObject({ reason: { name: "NotFoundError" } });
    for (const [i, d] of downloads.slice(0, 5).entries()) {
      if (d.status !== "fulfilled") throw new Error("unreachable");
      expect(d.value.path).toBe(join(out, `${ids[i]}.kv`));
      expect((await readFile(d.value.path)).equals(await readFile(files[i]?.path as string))).toBe(true);
    }
  });

  it("refuses several downloads into something that is not a directory", async () => {
    await expect(downloadMany({ client: h.client, sources: ["a", "b"], dest: join(h.dir, "c0.kv") })).rejects.toMatchObject({ name: "LocalFileError", code: "ENOTDIR" });
  });

  it("do not let two sources write the same file", async () => {
    const [a] = await uploadMany({ client: h.client, files: [files[0]?.path as string], retry: FAST_RETRY });
    if (a?.status !== "fulfilled") throw new Error("upload failed");
    const out = join(h.dir, "dupes");
    await mkdir(out, { recursive: true });
    const results = await downloadMany({ client: h.client, sources: [a.value.id, a.value.id], dest: out, concurrency: 1 });
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
    expect(results[1]).toMatchObject({ reason: { name: "LocalFileError", code: "EEXIST" } });
  });
});

describe("event streams", () => {
  it("uploadArtifactEvents yields hashing, uploading, confirming, then done with the artifact", async () => {
    const events: Array<TransferProgress | { phase: "done" }> = [];
    let id: string | undefined;
    for await (const e of uploadArtifactEvents({ client: h.client, file: files[0]?.path as string, retry: FAST_RETRY })) {
      events.push(e);
      if (e.phase === "done") id = e.result.id;
    }
    const phases = events.map((e) => e.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(["hashing", "uploading", "confirming", "done"]);
    expect(id).toBeDefined();

    const dl: string[] = [];
    for await (const e of downloadArtifactEvents({ client: h.client, source: id as string, dest: join(h.dir, "ev.kv") })) dl.push(e.phase);
    expect(dl.filter((p, i, all) => p !== all[i - 1])).toEqual(["downloading", "verifying", "done"]);
  });

  it("leaving the loop early aborts the upload and removes its pending artifact", async () => {
    h.store.faults.inject({ on: "put", action: "delay", ms: 500 });
    for await (const e of uploadArtifactEvents({ client: h.client, file: files[1]?.path as string, retry: FAST_RETRY })) {
      if (e.phase === "uploading") break;
    }
    expect(await h.artifacts()).toEqual([]);
  });
});
