import { afterEach, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import {
  createKvcdnClient,
  KvcdnClient,
  USER_AGENT,
  type Artifact,
  type CallOptions,
  type DeleteResult,
  type Usage,
} from "../../src/client/index.js";
import { ConfigError, VERSION } from "../../src/index.js";
import { API, KEY, makeClient, nock, useNock, wireArtifact } from "./helpers.js";

beforeAll(useNock);
afterEach(() => nock.cleanAll());

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Record what each request carried. */
function recorder(seen: Seen[], status: number, reply: unknown) {
  return function (this: { req: { headers: Record<string, string | string[] | undefined>; method?: string } }, uri: string, body: unknown) {
    seen.push({ method: this.req.method ?? "", path: uri, headers: { ...this.req.headers }, body });
    return [status, reply === undefined ? "" : JSON.stringify(reply), { "content-type": "application/json" }] as [number, string, Record<string, string>];
  };
}

describe("what the client sends", () => {
  it("sends Bearer auth and the kvcdn user agent to the API", async () => {
    const seen: Seen[] = [];
    nock(API).get("/api/v1/artifacts/a1").reply(recorder(seen, 200, wireArtifact("a1")));
    await makeClient().get("a1");
    expect(seen[0]?.headers["authorization"]).toBe(`Bearer ${KEY}`);
    expect(seen[0]?.headers["user-agent"]).toBe(`kvcdn/${VERSION} node/${process.versions.node}`);
    expect(USER_AGENT).toBe(`kvcdn/${VERSION} node/${process.versions.node}`);
  });

  it("sends no body and no Content-Type on GET, DELETE, download-url and verify", async () => {
    const seen: Seen[] = [];
    nock(API)
      .get("/api/v1/artifacts/a1").reply(recorder(seen, 200, wireArtifact("a1")))
      .delete("/api/v1/artifacts/a1").reply(recorder(seen, 204, undefined))
      .post("/api/v1/artifacts/a1/download-url").reply(recorder(seen, 200, { artifact_id: "a1", download_url: "https://s3.test/o?sig=1" }))
      .post("/api/v1/api-keys/verify").reply(recorder(seen, 200, { customer_id: "c1" }));
    const client = makeClient();
    await client.get("a1");
    await client.delete("a1");
    await client.createDownloadUrl("a1");
    await client.whoami();
    expect(seen.map((s) => s.method)).toEqual(["GET", "DELETE", "POST", "POST"]);
    for (const s of seen) {
      expect(s.headers["content-type"]).toBeUndefined();
      expect(s.body === "" || s.body === undefined).toBe(true);
    }
  });

  it("sends JSON bodies on upload-url and confirm-upload (confirm adds digest)", async () => {
    const seen: Seen[] = [];
    const checksum = "b".repeat(64);
    nock(API)
      .post("/api/v1/artifacts/upload-url").reply(recorder(seen, 201, { artifact_id: "n1", url: "https://s3.test/put?sig=x" }))
      .post("/api/v1/artifacts/n1/confirm-upload").reply(recorder(seen, 200, wireArtifact("n1", { checksum })));
    const client = makeClient();
    await client.createUploadUrl({ model_name: "Qwen/Qwen3-0.6B", dtype: "F16", size_bytes: 10, checksum });
    const ready = await client.confirmUpload("n1", { size_bytes: 10, checksum });
    expect(seen[0]?.headers["content-type"]).toBe("application/json");
    expect(seen[0]?.body).toEqual({ model_name: "Qwen/Qwen3-0.6B", dtype: "F16", size_bytes: 10, checksum });
    expect(seen[1]?.body).toEqual({ size_bytes: 10, checksum, digest: checksum });
    expect(ready.checksum).toBe(checksum);
  });

  it("percent-encodes the id as one path segment", async () => {
    const seen: Seen[] = [];
    nock(API).get("/api/v1/artifacts/a%2Fb%3Fc%20d").reply(recorder(seen, 200, wireArtifact("a/b?c d")));
    const a = await makeClient().get("a/b?c d");
    expect(a.id).toBe("a/b?c d");
    expect(seen).toHaveLength(1);
  });

  it("refuses empty and dot-segment ids before any request", async () => {
    const client = makeClient();
    await expect(client.get("")).rejects.toMatchObject({ code: "invalid_argument" });
    await expect(client.delete("..")).rejects.toMatchObject({ code: "invalid_argument" });
  });

  it("builds public CDN URLs without a request", () => {
    const client = makeClient({ cdnUrl: "https://cdn.test/" });
    expect(client.publicUrl({ orgSlug: "acme", projectSlug: "chat bots", id: "x/1" })).toBe("https://cdn.test/acme/chat%20bots/x%2F1");
    expect(() => client.publicUrl({ orgSlug: "", projectSlug: "p", id: "i" })).toThrow(/orgSlug is required/);
  });

  it("without an API key, calls fail with a ConfigError that says where to set one", async () => {
    const client = makeClient({ apiKey: undefined });
    expect(client.hasApiKey).toBe(false);
    const e = await client.usage().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toMatch(/no API key is configured: pass --api-key, set KVCDN_API_KEY, or add api_key to config.toml/);
  });
});

describe("credentials go only to the API origin", () => {
  it("never sends Authorization to another origin through client.api", async () => {
    const seen: Seen[] = [];
    nock("https://elsewhere.test").get("/api/v1/usage").reply(recorder(seen, 200, { used_bytes: 1 }));
    const client = makeClient();
    await client.api.GET("/api/v1/usage", { baseUrl: "https://elsewhere.test" });
    expect(seen[0]?.headers["authorization"]).toBeUndefined();
  });

  it("drops Authorization when the API redirects to another host, keeps it on the same host", async () => {
    const seen: Seen[] = [];
    nock(API)
      .get("/api/v1/artifacts/a1").reply(307, "", { location: `${API}/api/v2/artifacts/a1` })
      .get("/api/v2/artifacts/a1").reply(302, "", { location: "https://storage.test/a1" });
    nock("https://storage.test").get("/a1").reply(recorder(seen, 200, wireArtifact("a1")));
    nock(API).get("/api/v1/artifacts/a2").reply(307, "", { location: `${API}/moved/a2` }).get("/moved/a2").reply(recorder(seen, 200, wireArtifact("a2")));
    const client = makeClient();
    expect((await client.get("a1")).id).toBe("a1");
    expect((await client.get("a2")).id).toBe("a2");
    expect(seen[0]?.headers["authorization"]).toBeUndefined();
    expect(seen[1]?.headers["authorization"]).toBe(`Bearer ${KEY}`);
  });

  it("refuses a redirect from https to http", async () => {
    nock(API).get("/api/v1/artifacts/a1").reply(301, "", { location: "http://api.kvcdn.test/api/v1/artifacts/a1" });
    await expect(makeClient({ retry: 0 }).get("a1")).rejects.toMatchObject({ name: "NetworkError", message: expect.stringMatching(/https to http/) });
  });

  it("never exposes the key on the client object", () => {
    const client = makeClient();
    expect(JSON.stringify(client)).not.toContain(KEY);
    expect(JSON.stringify(client.config)).not.toContain(KEY);
    expect(String(Object.values(client))).not.toContain(KEY);
  });
});

describe("public signatures", () => {
  it("has the documented types", () => {
    expectTypeOf(createKvcdnClient).returns.toEqualTypeOf<KvcdnClient>();
    expectTypeOf<KvcdnClient["get"]>().toEqualTypeOf<(id: string, options?: CallOptions) => Promise<Artifact>>();
    expectTypeOf<KvcdnClient["delete"]>().toEqualTypeOf<(id: string, options?: CallOptions) => Promise<DeleteResult>>();
    expectTypeOf<KvcdnClient["usage"]>().returns.resolves.toEqualTypeOf<Usage>();
    expectTypeOf<KvcdnClient["list"]>().returns.toMatchTypeOf<AsyncIterable<Artifact>>();
    expectTypeOf<KvcdnClient["listAll"]>().returns.resolves.toEqualTypeOf<Artifact[]>();
    expectTypeOf<Artifact["num_tokens"]>().toEqualTypeOf<number | null>();
    expectTypeOf<CallOptions["signal"]>().toEqualTypeOf<AbortSignal | undefined>();
  });
});
