import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStore, type LocalStore } from "../../src/local-store/index.js";
import { call, randomBlob, sha256, uploadFields, uploadReady } from "./support/store-client.js";

let store: LocalStore;
beforeAll(async () => {
  store = await startLocalStore({ artifactLimit: null });
});
afterAll(() => store.close());

describe("concurrent uploads", () => {
  it("confirms 100 concurrent uploads with exact usage totals", async () => {
    const blobs = Array.from({ length: 100 }, (_, i) => randomBlob(32 * 1024 + i * 977));
    const ready = await Promise.all(blobs.map((data, i) => uploadReady(store, store.apiKey, data, { name: `concurrent ${i}` })));
    expect(ready.every((a) => a.status === "ready")).toBe(true);
    expect(new Set(ready.map((a) => a.id)).size).toBe(100);
    ready.forEach((a, i) => expect(a.checksum).toBe(sha256(blobs[i]!)));

    const usage = await call(store, "GET", "/api/v1/usage", { key: store.apiKey });
    expect(usage.body).toMatchObject({ used_bytes: blobs.reduce((n, b) => n + b.length, 0), artifact_count: 100 });
    const listed = await call(store, "GET", "/api/v1/artifacts?status=ready&limit=1000", { key: store.apiKey });
    expect(listed.body.artifacts).toHaveLength(100);
    const audit = await call(store, "GET", "/api/v1/audit-log?limit=1000", { key: store.apiKey });
    expect(audit.body.events.filter((e: { type: string }) => e.type === "artifact.confirmed")).toHaveLength(100);

    // Spot-check stored bytes through download URLs.
    for (const i of [0, 57, 99]) {
      const dl = await call(store, "POST", `/api/v1/artifacts/${ready[i]!.id}/download-url`, { key: store.apiKey });
      expect(sha256(Buffer.from(await (await fetch(dl.body.download_url)).arrayBuffer()))).toBe(sha256(blobs[i]!));
    }
  });

  it("never lets concurrent upload-url calls overshoot the artifact limit", async () => {
    const limited = await startLocalStore();
    try {
      const replies = await Promise.all(
        Array.from({ length: 30 }, () => call(limited, "POST", "/api/v1/artifacts/upload-url", { key: limited.apiKey, json: uploadFields(randomBlob(8)) })),
      );
      expect(replies.filter((r) => r.status === 200)).toHaveLength(20);
      expect(replies.filter((r) => r.status === 403)).toHaveLength(10);
      expect((await call(limited, "GET", "/api/v1/usage", { key: limited.apiKey })).body.artifact_count).toBe(20);
    } finally {
      await limited.close();
    }
  });
});
