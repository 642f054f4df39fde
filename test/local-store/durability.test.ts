import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startLocalStore } from "../../src/local-store/index.js";
import { call, confirm, createUpload, fetchChecked, putBytes, randomBlob, sha256, uploadReady } from "./support/store-client.js";

// Starts and kills child processes (a store, the built CLI): slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "kvcdn-durability-"));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * Every record on disk parses, and every ready artifact's stored bytes hash to its checksum. Before recovery
 * (`recovered: false`) a crash may have left temp files of an interrupted write; after it, none remain.
 */
async function checkInvariants(dir: string, recovered = true): Promise<Map<string, { status: string; checksum: string }>> {
  const records = new Map<string, { status: string; checksum: string; size_bytes: number }>();
  for (const name of await readdir(join(dir, "artifacts"))) {
    if (!recovered && /^\..*\.tmp$/.test(name)) continue;
    expect(name).toMatch(/^[0-9a-f-]{36}\.json$/);
    const record = JSON.parse(await readFile(join(dir, "artifacts", name), "utf8"));
    records.set(record.id, record);
  }
  for (const [id, r] of records) {
    if (r.status !== "ready") continue;
    const bytes = await readFile(join(dir, "blobs", id));
    expect(bytes.length).toBe(r.size_bytes);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(r.checksum);
  }
  if (recovered) expect(await readdir(join(dir, "blobs", ".incoming"))).toEqual([]);
  return records;
}

describe("restart", () => {
  it("keeps artifacts, the dev key, usage, audit log, paging tokens and issued URLs", async () => {
    const first = await startLocalStore({ dataDir });
    const key = first.apiKey;
    const pub = await uploadReady(first, key, randomBlob(300), { visibility: "public", name: "one" });
    const priv = await uploadReady(first, key, randomBlob(200), { name: "two" });
    const gone = await uploadReady(first, key, randomBlob(100), { name: "three" });
    const pending = await createUpload(first, key, randomBlob(50), { name: "four" });
    await call(first, "DELETE", `/api/v1/artifacts/${gone.id}`, { key });
    const dl = (await call(first, "POST", `/api/v1/artifacts/${priv.id}/download-url`, { key })).body.download_url;
    const page1 = await call(first, "GET", "/api/v1/artifacts?limit=1", { key });
    const before = {
      list: (await call(first, "GET", "/api/v1/artifacts", { key })).body,
      usage: (await call(first, "GET", "/api/v1/usage", { key })).body,
      audit: (await call(first, "GET", "/api/v1/audit-log?limit=1000", { key })).body.events,
    };
    await first.close();

    // Same port: URLs carry the host, so public_url and the presigned URL issued before stay the same.
    const second = await startLocalStore({ dataDir, port: first.port });
    try {
      expect(second.apiKey).toBe(key);
      expect((await call(second, "GET", "/api/v1/artifacts", { key })).body).toEqual(before.list);
      expect((await call(second, "GET", "/api/v1/usage", { key })).body).toEqual(before.usage);
      expect((await call(second, "GET", "/api/v1/audit-log?limit=1000", { key })).body.events.slice(0, before.audit.length)).toEqual(before.audit);
      const page2 = await call(second, "GET", `/api/v1/artifacts?limit=1&continuation=${page1.body.continuation_token}`, { key });
      expect(page2.body.artifacts[0].id).toBe(priv.id);
      expect(Buffer.from(await (await fetch(dl)).arrayBuffer()).length).toBe(200);
      expect((await fetchChecked(pub.public_url!)).status).toBe(200);
      expect((await call(second, "GET", `/api/v1/artifacts/${gone.id}`, { key })).status).toBe(404);
      // The pending upload can still be finished with the URL issued before the restart.
      const data = randomBlob(50);
      const fresh = await createUpload(second, key, data, { name: "five" });
      expect((await putBytes(fresh.url, data)).status).toBe(200);
      const ids = (await call(second, "GET", "/api/v1/artifacts", { key })).body.artifacts.map((a: { id: string }) => a.id);
      expect(ids).toEqual([pub.id, priv.id, pending.artifact_id, fresh.artifact_id]);
    } finally {
      await second.close();
    }
  });

  it("clears what a crash leaves behind: temp records, partial uploads, orphan blobs, a torn audit line", async () => {
    const first = await startLocalStore({ dataDir });
    const ready = await uploadReady(first, first.apiKey, randomBlob(10));
    await first.close();
    await writeFile(join(dataDir, "artifacts", `.${ready.id}.json.abcdef.tmp`), "{\"v\":1,\"id\":");
    await writeFile(join(dataDir, "blobs", ".incoming", "x.part"), "partial");
    await writeFile(join(dataDir, "blobs", "00000000-0000-4000-8000-000000000000"), "orphan");
    const auditFile = join(dataDir, "audit", "dev.jsonl");
    const auditSize = (await stat(auditFile)).size;
    await writeFile(auditFile, '{"id":"torn","type":"artifact.cre', { flag: "a" });

    const second = await startLocalStore({ dataDir });
    try {
      expect(await readdir(join(dataDir, "artifacts"))).toEqual([`${ready.id}.json`]);
      expect(await readdir(join(dataDir, "blobs"))).toEqual([".incoming", ready.id].sort());
      expect((await stat(auditFile)).size).toBe(auditSize);
      expect((await call(second, "GET", `/api/v1/artifacts/${ready.id}`, { key: second.apiKey })).body.status).toBe("ready");
      await checkInvariants(dataDir);
    } finally {
      await second.close();
    }
  });

  it("demotes a ready artifact whose stored object was removed behind its back", async () => {
    const first = await startLocalStore({ dataDir });
    const ready = await uploadReady(first, first.apiKey, randomBlob(10));
    await first.close();
    await rm(join(dataDir, "blobs", ready.id));
    const warnings: string[] = [];
    const second = await startLocalStore({ dataDir, log: (line) => warnings.push(line) });
    try {
      expect((await call(second, "GET", `/api/v1/artifacts/${ready.id}`, { key: second.apiKey })).body.status).toBe("pending");
      expect(warnings.join("\n")).toContain(ready.id);
    } finally {
      await second.close();
    }
  });
});

/** Run the store in a child process (`node --import tsx`), resolved once it prints where it listens. */
async function startChild(dir: string): Promise<{ child: ChildProcess; url: string; apiKey: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "support", "store-process.ts"), dir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`store process exited with ${code}`)));
  });
  return { child, ...(JSON.parse(line) as { url: string; apiKey: string }) };
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

describe("kill -9", () => {
  it("during an upload leaves a pending artifact, no partial object, and a store that keeps working", async () => {
    const { child, url, apiKey } = await startChild(dataDir);
    const data = randomBlob(8 * 1024 * 1024);
    const up = await createUpload({ url }, apiKey, data);
    const req = request(up.url, { method: "PUT", headers: { "content-length": String(data.length) } });
    req.on("error", () => undefined);
    req.write(data.subarray(0, 4 * 1024 * 1024));
    // Wait until the server has written part of the body to its temp file, then kill it mid-upload.
    const incoming = join(dataDir, "blobs", ".incoming");
    for (;;) {
      const names = await readdir(incoming);
      const sizes = await Promise.all(names.map((n) => stat(join(incoming, n)).then((s) => s.size, () => 0)));
      if (sizes.some((s) => s > 0)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await kill9(child);
    req.destroy();

    const store = await startLocalStore({ dataDir, artifactLimit: null });
    try {
      const records = await checkInvariants(dataDir);
      expect(records.get(up.artifact_id)?.status).toBe("pending");
      expect((await confirm(store, apiKey, up.artifact_id, data)).body.error).toBe("artifact_data_not_found");
      const again = await uploadReady(store, apiKey, data);
      expect(again.checksum).toBe(sha256(data));
    } finally {
      await store.close();
    }
  });

  it("during confirm leaves the artifact pending or ready with the right bytes, never anything else", async () => {
    const data = randomBlob(32 * 1024 * 1024);
    const outcomes: string[] = [];
    for (const delayMs of [0, 15, 60]) {
      const { child, url, apiKey } = await startChild(dataDir);
      const up = await createUpload({ url }, apiKey, data);
      expect((await putBytes(up.url, data)).status).toBe(200);
      const confirming = fetch(`${url}/api/v1/artifacts/${up.artifact_id}/confirm-upload`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ size_bytes: data.length, checksum: sha256(data) }),
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, delayMs));
      await kill9(child);
      await confirming;

      const records = await checkInvariants(dataDir, false);
      const status = records.get(up.artifact_id)?.status;
      expect(["pending", "ready"]).toContain(status);
      outcomes.push(status!);
      // Whatever the kill interrupted, recovery leaves a clean store and confirming again makes the artifact ready.
      const store = await startLocalStore({ dataDir, artifactLimit: null });
      try {
        await checkInvariants(dataDir);
        expect((await confirm(store, apiKey, up.artifact_id, data)).body.status).toBe("ready");
      } finally {
        await store.close();
      }
    }
    expect(outcomes).toHaveLength(3);
  });
});
