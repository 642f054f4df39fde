import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createKvcdnClient } from "../../src/client/index.js";
import { downloadArtifact } from "../../src/transfer/download-artifact.js";

// What a real server cannot do on demand: redirect to another host. Credentials must never follow.
const KEY = `kv_${"7c".repeat(32)}`;
const API = "https://api.kvcdn.test";
const CDN = "https://cdn.kvcdn.test";
const OTHER = "https://elsewhere.example";
const STORAGE = "https://storage.kvcdn.test";
const ID = "3f1c2b9e-0000-4000-8000-000000000001";
const bytes = randomBytes(256 * 1024);
const sha256 = createHash("sha256").update(bytes).digest("hex");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-creds-"));
  nock.disableNetConnect();
});
afterAll(async () => {
  nock.enableNetConnect();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  nock.cleanAll();
});

const client = () =>
  createKvcdnClient({ apiUrl: API, apiKey: KEY, cdnUrl: CDN, env: {}, configPath: false, retry: { limit: 0 }, logger: { warn: () => undefined } });

/** Every header a request carried, for checking that no credential was among them. */
type Seen = Array<{ host: string; authorization: unknown; cookie: unknown }>;
function record(seen: Seen, host: string) {
  return function (this: { req: { headers: Record<string, unknown> } }) {
    seen.push({ host, authorization: this.req.headers.authorization, cookie: this.req.headers.cookie });
  };
}

describe("credentials stay with the API host", () => {
  it("a CDN redirect to another host is followed without credentials", async () => {
    const seen: Seen = [];
    nock(API)
      .get(`/api/v1/artifacts/${ID}`)
      .reply(function () {
        record(seen, "api").call(this as never);
        return [404, { error: "not_found" }];
      });
    nock(CDN)
      .get(`/acme/chat/${ID}`)
      .reply(function () {
        record(seen, "cdn").call(this as never);
        return [302, "", { location: `${OTHER}/blob/${ID}` }];
      });
    nock(OTHER)
      .get(`/blob/${ID}`)
      .reply(function () {
        record(seen, "other").call(this as never);
        return [200, bytes, { "content-length": String(bytes.length), "x-checksum-sha256": sha256 }];
      });
    const result = await downloadArtifact({ client: client(), source: { orgSlug: "acme", projectSlug: "chat", id: ID }, dest: join(dir, "a.kv") });
    expect(result).toMatchObject({ sha256, verified: true });
    expect(seen.map((s) => s.host)).toEqual(["api", "cdn", "other"]);
    // Only the API host saw the key.
    expect(seen.find((s) => s.host === "api")?.authorization).toBe(`Bearer ${KEY}`);
    for (const s of seen.filter((x) => x.host !== "api")) {
      expect(s.authorization).toBeUndefined();
      expect(s.cookie).toBeUndefined();
    }
  });

  it("a presigned GET that redirects to another host gets no credentials either", async () => {
    const seen: Seen = [];
    nock(API)
      .get(`/api/v1/artifacts/${ID}`)
      .reply(200, { id: ID, name: "x", model_name: "m", dtype: "F16", num_tokens: 1, size_bytes: bytes.length, checksum: sha256, status: "ready", visibility: "private", created_at: "2026-01-01T00:00:00Z" })
      .post(`/api/v1/artifacts/${ID}/download-url`)
      .reply(200, { artifact_id: ID, download_url: `${STORAGE}/obj?X-Amz-Signature=${"b".repeat(64)}` });
    nock(STORAGE)
      .get("/obj")
      .query(true)
      .reply(function () {
        record(seen, "storage").call(this as never);
        return [307, "", { location: `${OTHER}/moved` }];
      });
    nock(OTHER)
      .get("/moved")
      .reply(function () {
        record(seen, "other").call(this as never);
        return [200, bytes, { "content-length": String(bytes.length) }];
      });
    const result = await downloadArtifact({ client: client(), source: ID, dest: join(dir, "b.kv"), sidecar: false });
    expect(result).toMatchObject({ sha256, verified: true });
    expect(seen.map((s) => s.host)).toEqual(["storage", "other"]);
    expect(seen.every((s) => s.authorization === undefined && s.cookie === undefined)).toBe(true);
  });

  it("refuses a redirect from https to plain http, leaving nothing behind", async () => {
    nock(CDN).get(`/acme/chat/${ID}`).reply(301, "", { location: `http://insecure.example/${ID}` });
    const error = await downloadArtifact({ source: `${CDN}/acme/chat/${ID}`, dest: join(dir, "c.kv") }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "PresignedUrlError", code: "BadRedirect" });
    expect((await readdir(dir)).filter((f) => f.startsWith(".c.kv") || f === "c.kv")).toEqual([]);
  });

  it("refuses a download URL that embeds credentials", async () => {
    await expect(downloadArtifact({ source: `https://user:secret@${CDN.slice(8)}/acme/chat/${ID}`, dest: join(dir, "d.kv") })).rejects.toMatchObject({
      code: "invalid_source",
    });
  });
});
