// Faults a real server does not produce on demand (proxy HTML, truncated JSON, multi-page listings), through the CLI.
import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runKvcdn } from "./run-kvcdn.js";

const API = "https://api.cli.test";
const KEY = `kv_${"c4".repeat(32)}`;
const env = { KVCDN_API_URL: API, KVCDN_API_KEY: KEY };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const item = (id: string) => ({ artifact_id: id, model_name: "Qwen/Qwen3-0.6B", dtype: "F16", num_tokens: 8, size_bytes: 10, sha256: "a".repeat(64), visibility: "private" });

describe("errors are one line on stderr, nothing on stdout", () => {
  it("an HTML page from a proxy", async () => {
    nock(API).get("/api/v1/quota").times(3).reply(502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", { "content-type": "text/html" });
    nock(API).get("/api/v1/usage").times(3).reply(502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", { "content-type": "text/html" });
    const r = await runKvcdn(["usage", "--json"], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^kvcdn: the service answered with an HTML page \("502 Bad Gateway"\) instead of JSON \(a proxy or gateway error\?\) \(HTTP 502, GET https:\/\/api\.cli\.test\/api\/v1\/usage\)\n$/);
  });

  it("truncated JSON in an error body", async () => {
    nock(API).post("/api/v1/api-keys/verify").reply(400, '{"error":"Bad Req');
    const r = await runKvcdn(["whoami"], { env });
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toMatch(/^kvcdn: the service sent an unreadable JSON body: \{"error":"Bad Req \(HTTP 400, POST .*\)\n$/);
  });

  it("an empty 404 body", async () => {
    nock(API).get("/api/v1/artifacts/a1").reply(404);
    const r = await runKvcdn(["get", "a1", "--json"], { env });
    expect(r).toEqual({ code: 1, stdout: "", stderr: "kvcdn: Not Found (HTTP 404, GET https://api.cli.test/api/v1/artifacts/a1)\n" });
  });

  it("a network failure names the operation, and --debug adds the stack", async () => {
    nock(API).get("/api/v1/artifacts/a1").times(3).replyWithError({ code: "ECONNREFUSED", message: "connect ECONNREFUSED" });
    const r = await runKvcdn(["get", "a1"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^kvcdn: GET \/api\/v1\/artifacts\/a1 failed: /);
    nock(API).get("/api/v1/artifacts/a1").times(3).replyWithError({ code: "ECONNREFUSED", message: "connect ECONNREFUSED" });
    const debug = await runKvcdn(["get", "a1", "--debug"], { env });
    expect(debug.stderr).toMatch(/NetworkError: GET \/api\/v1\/artifacts\/a1 failed/);
    expect(debug.stderr).toMatch(/\n\s+at /);
    expect(debug.stderr).not.toContain(KEY);
  });
});

describe("list --json fetches every page", () => {
  it("follows continuation tokens and offset paging", async () => {
    nock(API)
      .get("/api/v1/artifacts").query((q) => q["continuation"] === undefined).reply(200, { artifacts: [item("a"), item("b")], continuation_token: "t1" })
      .get("/api/v1/artifacts").query({ continuation: "t1" }).reply(200, { artifacts: [], continuation_token: "t2" })
      .get("/api/v1/artifacts").query({ continuation: "t2" }).reply(200, { artifacts: [item("c")] });
    const r = await runKvcdn(["list", "--json"], { env });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { artifacts: Array<{ id: string }> }).artifacts.map((a) => a.id)).toEqual(["a", "b", "c"]);
  });
});
