import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { normalizeArtifact, normalizeUsage } from "../../src/client/index.js";
import { NotFoundError } from "../../src/errors/index.js";
import { API, makeClient, nock, useNock, wireArtifact } from "./helpers.js";

beforeAll(useNock);
afterEach(() => nock.cleanAll());

const ROUTE_404 = (path: string) => ({ message: `Route GET:${path} not found`, error: "Not Found", statusCode: 404 });

/** A list item exactly as the deployed backend sends it (docs/service-contract.md#list-and-paging). */
const deployedItem = {
  artifact_id: "11111111-2222-3333-4444-555555555555",
  model_name: "Qwen system prompt",
  dtype: "F32",
  num_tokens: 512,
  num_layers: 28,
  quantized: false,
  storage_dtype: null,
  visibility: "private",
  size_bytes: 1048576,
  sha256: "AB".repeat(32),
  created_at: "2026-01-02T03:04:05Z",
  public_url: null,
};

describe("normalizeArtifact", () => {
  it("maps the deployed shape onto the public Artifact type", () => {
    expect(normalizeArtifact(deployedItem)).toEqual({
      id: deployedItem.artifact_id,
      name: "Qwen system prompt",
      description: null,
      model_name: "Qwen system prompt",
      dtype: "F32",
      storage_dtype: null,
      num_tokens: 512,
      num_layers: 28,
      quantized: false,
      size_bytes: 1048576,
      checksum: "ab".repeat(32),
      status: null,
      visibility: "private",
      org_slug: null,
      project_slug: null,
      public_url: null,
      metadata: {},
      created_at: "2026-01-02T03:04:05Z",
      updated_at: null,
    });
  });

  it("prefers metadata.name, takes checksum from metadata.sha256 and layer facts from metadata", () => {
    const a = normalizeArtifact({ id: "x", name: "n", model_name: "m", metadata: { name: "label", sha256: "c".repeat(64), num_layers: 4, quantized: true, storage_dtype: "U8" } });
    expect(a).toMatchObject({ name: "label", checksum: "c".repeat(64), num_layers: 4, quantized: true, storage_dtype: "U8", model_name: "m" });
  });

  it("unwraps {artifact: {...}}, ignores odd values and needs an id", () => {
    expect(normalizeArtifact({ artifact: wireArtifact("w") })?.id).toBe("w");
    expect(normalizeArtifact({ id: "x", status: "weird", visibility: "everyone", num_tokens: "12" })).toMatchObject({ status: null, visibility: "private", num_tokens: 12 });
    expect(normalizeArtifact({ name: "no id" })).toBeUndefined();
    expect(normalizeArtifact("text")).toBeUndefined();
  });
});

describe("normalizeUsage", () => {
  it("reads the flat and the nested quota shapes", () => {
    expect(normalizeUsage({ used_bytes: 1, quota_bytes: null, artifact_count: 2, artifact_limit: 20, plan: "free" })).toEqual({ used_bytes: 1, quota_bytes: null, artifact_count: 2, artifact_limit: 20 });
    expect(normalizeUsage({ customer_id: "c", quota: { organizations: 10, projects: 100, artifacts: 1000, storage_bytes: 2 ** 40 }, used: { organizations: 1, projects: 1, artifacts: 3, storage_bytes: 4096 } })).toEqual({
      used_bytes: 4096,
      quota_bytes: 2 ** 40,
      artifact_count: 3,
      artifact_limit: 1000,
    });
    expect(normalizeUsage({ hello: 1 })).toBeUndefined();
  });
});

describe("routes the deployed service lacks", () => {
  it("get() scans the list when GET /artifacts/{id} is not a route", async () => {
    const id = deployedItem.artifact_id;
    nock(API)
      .get(`/api/v1/artifacts/${id}`).reply(404, ROUTE_404(`/api/v1/artifacts/${id}`))
      .get("/api/v1/artifacts").query(true).reply(200, { artifacts: [wireArtifact("other"), deployedItem], total: 2, limit: 100, offset: 0 });
    const a = await makeClient().get(id);
    expect(a.id).toBe(id);
    expect(a.checksum).toBe("ab".repeat(32));
  });

  it("get() of an id absent from the list is NotFoundError", async () => {
    nock(API).get("/api/v1/artifacts/nope").reply(404, ROUTE_404("/api/v1/artifacts/nope")).get("/api/v1/artifacts").query(true).reply(200, { artifacts: [] });
    const e = await makeClient().get("nope").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NotFoundError);
    expect((e as Error).message).toMatch(/Artifact nope not found/);
  });

  it("get() of an unknown id on a service with the route does not scan", async () => {
    const scope = nock(API).get("/api/v1/artifacts/nope").reply(404, { error: "Artifact not found" });
    await expect(makeClient().get("nope")).rejects.toBeInstanceOf(NotFoundError);
    expect(scope.isDone()).toBe(true);
  });

  it("usage() falls back to /quota and maps the nested shape", async () => {
    nock(API)
      .get("/api/v1/usage").reply(404, ROUTE_404("/api/v1/usage"))
      .get("/api/v1/quota").reply(200, { customer_id: "c1", quota: { artifacts: 20, storage_bytes: 1000 }, used: { artifacts: 2, storage_bytes: 300 } });
    expect(await makeClient().usage()).toEqual({ used_bytes: 300, quota_bytes: 1000, artifact_count: 2, artifact_limit: 20 });
  });

  it("setVisibility() on a service without PATCH sends only users of the hosted service to its dashboard", async () => {
    const missing = { message: "Route PATCH:/api/v1/artifacts/a1 not found", error: "Not Found", statusCode: 404 };
    nock(API).patch("/api/v1/artifacts/a1").reply(404, missing);
    const selfHosted = await makeClient().setVisibility("a1", "public").catch((e: unknown) => e);
    expect(selfHosted).toMatchObject({ name: "NotFoundError", code: "unsupported", message: expect.stringMatching(/cannot change visibility/) });
    expect((selfHosted as Error).message).not.toMatch(/kvcachestore|dashboard/);

    const HOSTED = "https://api.kvcachestore.com";
    nock(HOSTED).patch("/api/v1/artifacts/a1").reply(404, missing);
    await expect(makeClient({ apiUrl: HOSTED }).setVisibility("a1", "public")).rejects.toMatchObject({
      code: "unsupported",
      message: expect.stringMatching(/use the dashboard at kvcachestore\.com\/app/),
    });
  });

  it("usage() on a service with neither /usage nor /quota says so, without the hosted dashboard", async () => {
    nock(API).get("/api/v1/usage").reply(404, ROUTE_404("/api/v1/usage")).get("/api/v1/quota").reply(404, ROUTE_404("/api/v1/quota"));
    const e = await makeClient().usage().catch((x: unknown) => x);
    expect(e).toMatchObject({ name: "NotFoundError", code: "unsupported", message: expect.stringMatching(/cannot report usage/) });
    expect((e as Error).message).not.toMatch(/kvcachestore|dashboard/);
  });

  it("setVisibility() sends {visibility} and returns the artifact", async () => {
    let body: unknown;
    nock(API).patch("/api/v1/artifacts/a1", (b) => ((body = b), true)).reply(200, wireArtifact("a1", { visibility: "public" }));
    expect((await makeClient().setVisibility("a1", "public")).visibility).toBe("public");
    expect(body).toEqual({ visibility: "public" });
    await expect(makeClient().setVisibility("a1", "everyone" as "public")).rejects.toMatchObject({ code: "invalid_argument" });
  });
});

describe("transfer responses", () => {
  it("upload-url: url ?? upload_url, method ?? PUT, upload_headers ?? {}", async () => {
    nock(API)
      .post("/api/v1/artifacts/upload-url").reply(200, { artifact_id: "n1", upload_url: "https://s3.test/old" })
      .post("/api/v1/artifacts/upload-url").reply(201, { artifact_id: "n2", url: "https://s3.test/new", method: "put", expires_at: "2026-01-01T00:15:00Z", upload_headers: { "Content-Type": "application/octet-stream", bad: 3 } });
    const client = makeClient();
    const body = { model_name: "m", dtype: "F16", size_bytes: 1, checksum: "e".repeat(64) };
    expect(await client.createUploadUrl(body)).toEqual({ artifact_id: "n1", url: "https://s3.test/old", method: "PUT", upload_headers: {}, expires_at: null, artifact: null });
    expect(await client.createUploadUrl(body)).toEqual({
      artifact_id: "n2",
      url: "https://s3.test/new",
      method: "PUT",
      upload_headers: { "Content-Type": "application/octet-stream" },
      expires_at: "2026-01-01T00:15:00Z",
      artifact: null,
    });
  });

  it("upload-url without a URL is an invalid_response error", async () => {
    nock(API).post("/api/v1/artifacts/upload-url").reply(200, { artifact_id: "n1" });
    await expect(makeClient().createUploadUrl({ model_name: "m", dtype: "F16", size_bytes: 1, checksum: "e".repeat(64) })).rejects.toMatchObject({ code: "invalid_response" });
  });

  it("download-url: download_url ?? url, and refuses an answer for another artifact", async () => {
    nock(API)
      .post("/api/v1/artifacts/a1/download-url").reply(200, { artifact_id: "a1", url: "https://s3.test/get", size_bytes: 5, sha256: "F".repeat(64) })
      .post("/api/v1/artifacts/a1/download-url").reply(200, { artifact_id: "zz", download_url: "https://s3.test/get" });
    const client = makeClient();
    expect(await client.createDownloadUrl("a1")).toEqual({ artifact_id: "a1", download_url: "https://s3.test/get", expires_at: null, size_bytes: 5, checksum: "f".repeat(64) });
    await expect(client.createDownloadUrl("a1")).rejects.toMatchObject({ code: "invalid_response" });
  });

  it("confirm-upload answered with only {artifact_id, sha256} fetches the artifact", async () => {
    nock(API)
      .post("/api/v1/artifacts/a1/confirm-upload").reply(200, { artifact_id: "a1", sha256: "a".repeat(64) })
      .get("/api/v1/artifacts/a1").reply(200, wireArtifact("a1"));
    expect((await makeClient().confirmUpload("a1", { size_bytes: 1024, checksum: "a".repeat(64) })).size_bytes).toBe(1024);
  });

  it("whoami returns what the service says", async () => {
    nock(API).post("/api/v1/api-keys/verify").reply(200, { customer_id: "cust_1", org_slug: "acme" });
    expect(await makeClient().whoami()).toEqual({ customer_id: "cust_1", org_slug: "acme" });
  });
});

describe("unreadable success bodies", () => {
  it("truncated JSON in a 200 is a typed invalid_response error, retried for idempotent calls", async () => {
    nock(API)
      .get("/api/v1/artifacts/a1").reply(200, '{"id":"a1","na', { "content-type": "application/json" })
      .get("/api/v1/artifacts/a1").reply(200, wireArtifact("a1"));
    expect((await makeClient().get("a1")).id).toBe("a1");
    nock(API).get("/api/v1/artifacts/a1").times(3).reply(200, "<html><title>Login</title></html>", { "content-type": "text/html" });
    await expect(makeClient().get("a1")).rejects.toMatchObject({
      name: "HttpError",
      code: "invalid_response",
      message: expect.stringMatching(/answered HTTP 200 but the service answered with an HTML page \("Login"\)/),
    });
  });
});
