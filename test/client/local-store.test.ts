// The client against the real local store (kvcdn serve) over HTTP: the whole management and transfer-URL flow.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKvcdnClient, type KvcdnClient } from "../../src/client/index.js";
import { AuthError, NotFoundError, ValidationError } from "../../src/errors/index.js";
import { startLocalStore, type LocalStore } from "../../src/local-store/index.js";
import { captureLogger } from "./helpers.js";
import { seedArtifact } from "./seed-artifact.js";

let store: LocalStore;
let client: KvcdnClient;
const logger = captureLogger();

beforeAll(async () => {
  store = await startLocalStore({});
  client = createKvcdnClient({ apiUrl: store.url, apiKey: store.apiKey, cdnUrl: store.cdnUrl, env: {}, configPath: false, logger });
});
afterAll(async () => {
  await store?.close();
});

describe("client against the local store", () => {
  it("uploads, lists, gets, publishes, downloads and deletes", async () => {
    const before = await client.usage();
    const a = await seedArtifact(client, { name: "Qwen system prompt", description: "support bot", size: 300 });
    const b = await seedArtifact(client, { name: "Llama doc", model: "meta-llama/Llama-3.2-1B", size: 100 });
    expect(a).toMatchObject({ name: "Qwen system prompt", model_name: "Qwen/Qwen3-0.6B", status: "ready", visibility: "private", size_bytes: 300 });
    expect(a.checksum).toBe(createHash("sha256").update(a.bytes).digest("hex"));

    expect((await client.get(a.id)).checksum).toBe(a.checksum);
    const qwen = await client.listAll({ model: "Qwen/Qwen3-0.6B" });
    expect(qwen.map((x) => x.id)).toContain(a.id);
    expect(qwen.map((x) => x.id)).not.toContain(b.id);
    expect((await client.listAll({ query: "SUPPORT" })).map((x) => x.id)).toEqual([a.id]);

    const usage = await client.usage();
    expect(usage.used_bytes - before.used_bytes).toBe(400);
    expect(usage.artifact_count).toBe((before.artifact_count ?? 0) + 2);
    expect(usage.artifact_limit).toBe(20);

    const pub = await client.setVisibility(a.id, "public");
    expect(pub.visibility).toBe("public");
    const cdnUrl = client.publicUrl({ orgSlug: store.orgSlug, projectSlug: store.projectSlug, id: a.id });
    const fromCdn = await fetch(cdnUrl);
    expect(fromCdn.status).toBe(200);
    expect(Buffer.from(await fromCdn.arrayBuffer()).equals(a.bytes)).toBe(true);

    const dl = await client.createDownloadUrl(b.id);
    const got = await fetch(dl.download_url);
    expect(Buffer.from(await got.arrayBuffer()).equals(b.bytes)).toBe(true);

    expect(await client.delete(b.id)).toEqual({ id: b.id, deleted: true });
    await expect(client.get(b.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.delete(b.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await client.whoami()).customer_id).toBeTypeOf("string");
  });

  it("sends credentials to the API only, never to storage or the CDN", async () => {
    store.requests.clear();
    const a = await seedArtifact(client, { name: "creds", visibility: "public" });
    await fetch(client.publicUrl({ orgSlug: store.orgSlug, projectSlug: store.projectSlug, id: a.id })).then((r) => r.arrayBuffer());
    const entries = store.requests.entries;
    const storage = entries.filter((e) => e.kind === "put" || e.kind === "get" || e.kind === "cdn");
    const api = entries.filter((e) => !storage.includes(e));
    expect(storage.length).toBeGreaterThanOrEqual(2);
    expect(storage.every((e) => !e.hasAuthorization)).toBe(true);
    expect(api.length).toBeGreaterThanOrEqual(2);
    expect(api.every((e) => e.hasAuthorization && e.headers["user-agent"]?.startsWith("kvcdn/"))).toBe(true);
    // download-url, verify and GETs carry no body and no Content-Type (docs/service-contract.md#request-bodies).
    for (const e of api.filter((x) => x.method === "GET" || x.method === "DELETE" || x.path.endsWith("/download-url") || x.path.endsWith("/verify"))) {
      expect(e.headers["content-type"]).toBeUndefined();
    }
  });

  it("maps the store's errors to typed errors", async () => {
    await expect(client.confirmUpload("00000000-0000-4000-8000-000000000000", { size_bytes: 1, checksum: "0".repeat(64) })).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.get("not-a-uuid")).rejects.toBeInstanceOf(ValidationError);
    const wrongKey = createKvcdnClient({ apiUrl: store.url, apiKey: `kv_${"0".repeat(64)}`, env: {}, configPath: false });
    const e = await wrongKey.listAll().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AuthError);
    expect((e as AuthError).requestId).toBeTypeOf("string");
    expect(logger.lines.join("\n")).not.toContain(store.apiKey);
  });
});
