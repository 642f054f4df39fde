import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStore, type LocalStore } from "../../src/local-store/index.js";
import { call, createUpload, fetchChecked, OTHER_TENANT, randomBlob, uploadReady } from "./support/store-client.js";

let store: LocalStore;
let dev: string;
const acme = OTHER_TENANT.key;
const devOtherProject = { key: `kv_${"cd".repeat(32)}`, org: "dev", project: "second" };
let privateReady: string;
let privatePending: string;
let publicPending: string;
let publicReady: { id: string; public_url: string | null };

beforeAll(async () => {
  store = await startLocalStore({ apiKeys: [OTHER_TENANT, devOtherProject] });
  dev = store.apiKey;
  privateReady = (await uploadReady(store, dev, randomBlob(100), { name: "secret prompt", description: "needle" })).id;
  privatePending = (await createUpload(store, dev, randomBlob(100), { name: "secret pending", description: "needle" })).artifact_id;
  publicPending = (await createUpload(store, dev, randomBlob(100), { name: "public pending", visibility: "public", description: "needle" })).artifact_id;
  publicReady = await uploadReady(store, dev, randomBlob(100), { name: "shared prompt", visibility: "public", description: "needle" });
});
afterAll(() => store.close());

const listIds = async (key: string, query: string): Promise<string[]> =>
  (await call(store, "GET", `/api/v1/artifacts?${query}`, { key })).body.artifacts.map((a: { id: string }) => a.id);

describe("another organization's private (or unconfirmed) artifact", () => {
  it.each([
    ["GET", ""],
    ["PATCH", ""],
    ["DELETE", ""],
    ["POST", "/confirm-upload"],
    ["POST", "/download-url"],
  ])("is a 404 on %s /api/v1/artifacts/{id}%s", async (method, suffix) => {
    for (const id of [privateReady, privatePending, publicPending]) {
      const json = method === "PATCH" ? { visibility: "public" } : suffix === "/confirm-upload" ? {} : undefined;
      const reply = await call(store, method, `/api/v1/artifacts/${id}${suffix}`, { key: acme, ...(json === undefined ? {} : { json }) });
      expect(reply.status).toBe(404);
      expect(reply.body).toMatchObject({ error: "not_found" });
    }
    // Nothing changed for the owner.
    expect((await call(store, "GET", `/api/v1/artifacts/${privateReady}`, { key: dev })).body.visibility).toBe("private");
  });

  it("never appears in any list scope or search", async () => {
    for (const scope of ["all", "org", "public"]) {
      const ids = await listIds(acme, `scope=${scope}&q=needle`);
      expect(ids).not.toContain(privateReady);
      expect(ids).not.toContain(privatePending);
      expect(ids).not.toContain(publicPending);
    }
  });

  it("is a 404 on the CDN, as is a public one under the wrong org or project", async () => {
    expect((await fetchChecked(`${store.cdnUrl}/dev/default/${privateReady}`)).status).toBe(404);
    expect((await fetchChecked(`${store.cdnUrl}/dev/default/${publicPending}`)).status).toBe(404);
    expect((await fetchChecked(`${store.cdnUrl}/acme/default/${publicReady.id}`)).status).toBe(404);
    expect((await fetchChecked(`${store.cdnUrl}/dev/research/${publicReady.id}`)).status).toBe(404);
  });

  it("counts only toward its own organization's usage and audit log", async () => {
    const usage = await call(store, "GET", "/api/v1/usage", { key: acme });
    expect(usage.body).toMatchObject({ used_bytes: 0, artifact_count: 0 });
    const audit = await call(store, "GET", "/api/v1/audit-log", { key: acme });
    expect(audit.body.events.every((e: { type: string }) => e.type === "api_key.used")).toBe(true);
    expect((await call(store, "POST", "/api/v1/api-keys/verify", { key: acme })).body).toMatchObject({ customer_id: "acme", org_slug: "acme", project_slug: "research" });
  });
});

describe("another organization's public, ready artifact", () => {
  it("is readable with GET and listed in scopes all and public, not org", async () => {
    expect((await call(store, "GET", `/api/v1/artifacts/${publicReady.id}`, { key: acme })).body.public_url).toBe(publicReady.public_url);
    expect(await listIds(acme, "scope=all")).toContain(publicReady.id);
    expect(await listIds(acme, "scope=public&q=SHARED")).toEqual([publicReady.id]);
    expect(await listIds(acme, "scope=org")).toEqual([]);
  });

  it("cannot be changed, deleted, confirmed or presigned by them", async () => {
    expect((await call(store, "PATCH", `/api/v1/artifacts/${publicReady.id}`, { key: acme, json: { visibility: "private" } })).status).toBe(404);
    expect((await call(store, "DELETE", `/api/v1/artifacts/${publicReady.id}`, { key: acme })).status).toBe(404);
    expect((await call(store, "POST", `/api/v1/artifacts/${publicReady.id}/confirm-upload`, { key: acme, json: {} })).status).toBe(404);
    expect((await call(store, "POST", `/api/v1/artifacts/${publicReady.id}/download-url`, { key: acme })).status).toBe(404);
    expect((await fetchChecked(publicReady.public_url!)).status).toBe(200);
  });
});

describe("members of the same organization", () => {
  it("see and manage the organization's artifacts from any project", async () => {
    const other = devOtherProject.key;
    expect((await call(store, "GET", `/api/v1/artifacts/${privateReady}`, { key: other })).status).toBe(200);
    expect(await listIds(other, "scope=org&visibility=private&status=ready")).toEqual([privateReady]);
    const mine = await uploadReady(store, other, randomBlob(5), { visibility: "public" });
    expect(mine.public_url).toBe(`${store.cdnUrl}/dev/second/${mine.id}`);
    expect((await call(store, "GET", `/api/v1/artifacts?scope=org&model=Qwen/Qwen3-0.6B`, { key: dev })).body.artifacts).toHaveLength(5);
  });
});
