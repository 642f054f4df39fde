import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ByteBudget, transferBufferBudget } from "../../src/transfer/byte-budget.js";
import { downloadArtifact } from "../../src/transfer/download-artifact.js";
import { uploadArtifact } from "../../src/transfer/upload-artifact.js";
import { writeKvFixture } from "./kv-fixture.js";
import { FAST_RETRY, startHarness, type Harness } from "./store-harness.js";

describe("ByteBudget", () => {
  it("grants within capacity at once, queues the rest first come first served, and clamps oversized requests", async () => {
    const budget = new ByteBudget(10);
    const a = await budget.acquire(6);
    const order: string[] = [];
    const b = budget.acquire(6).then((r) => (order.push("b"), r));
    const c = budget.acquire(1).then((r) => (order.push("c"), r));
    await new Promise((r) => setTimeout(r, 5));
    // c would fit, but b asked first: no overtaking (a large request is never starved).
    expect(order).toEqual([]);
    a();
    a(); // a second release is ignored
    const [rb, rc] = await Promise.all([b, c]);
    expect(order).toEqual(["b", "c"]);
    expect(budget.used).toBe(7);
    rb();
    rc();
    const huge = await budget.acquire(1000);
    expect(budget.used).toBe(10);
    huge();
    expect(budget.used).toBe(0);
  });

  it("an aborted wait rejects with AbortError and lets the next one in", async () => {
    const budget = new ByteBudget(4);
    const held = await budget.acquire(4);
    const controller = new AbortController();
    const waiting = budget.acquire(4, controller.signal);
    const after = budget.acquire(2);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
    held();
    (await after)();
    expect(budget.used).toBe(0);
  });
});

describe("concurrent transfers share the buffer budget", () => {
  let h: Harness;
  const files: string[] = [];
  beforeAll(async () => {
    h = await startHarness({ artifactLimit: null });
    for (let i = 0; i < 40; i++) files.push((await writeKvFixture(join(h.dir, `c${i}.kv`), { layers: 4, tokens: 512, headDim: 64, seed: i })).path);
  });
  afterAll(async () => {
    await h.close();
  });

  it("never reserve more than the budget, and give everything back, failed PUTs included", async () => {
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, transferBufferBudget.used)), 1);
    h.store.faults.inject({ on: "put", action: "reset", afterBytes: 1000, times: 5 });
    try {
      const results = await Promise.all(files.map((file) => uploadArtifact({ client: h.client, file, retry: FAST_RETRY })));
      expect(results.every((a) => a.status === "ready")).toBe(true);
    } finally {
      clearInterval(sampler);
    }
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(transferBufferBudget.capacity);
    expect(transferBufferBudget.used).toBe(0);
  });

  it("downloads reserve their write batches too, and give them back after resumed and failed ones", async () => {
    const artifacts = await h.artifacts();
    expect(artifacts.length).toBe(files.length);
    await mkdir(join(h.dir, "down"), { recursive: true });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, transferBufferBudget.used)), 1);
    h.store.faults.inject({ on: "get", action: "reset", afterBytes: 5000, times: 5 });
    try {
      const results = await Promise.all(artifacts.map((a) => downloadArtifact({ client: h.client, source: a.id, dest: join(h.dir, "down") + "/", retry: FAST_RETRY })));
      expect(results.every((r) => r.verified)).toBe(true);
      const missing = await downloadArtifact({ client: h.client, source: "00000000-0000-4000-8000-000000000000", dest: join(h.dir, "down", "x.kv") }).catch((e: unknown) => e);
      expect(missing).toMatchObject({ name: "NotFoundError" });
    } finally {
      clearInterval(sampler);
    }
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(transferBufferBudget.capacity);
    expect(transferBufferBudget.used).toBe(0);
  });
});
