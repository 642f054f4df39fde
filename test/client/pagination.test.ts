import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { API, makeClient, nock, useNock, wireArtifact } from "./helpers.js";

beforeAll(useNock);
afterEach(() => nock.cleanAll());

const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id);

describe("list follows every paging style", () => {
  it("continuation tokens, including a short page and an empty page that still has a token", async () => {
    const queries: Array<Record<string, unknown>> = [];
    const record = (q: Record<string, unknown>) => {
      queries.push({ ...q });
      return true;
    };
    nock(API)
      .get("/api/v1/artifacts").query(record).reply(200, { artifacts: [wireArtifact("a"), wireArtifact("b")], continuation_token: "t1", total: 2, limit: 2, offset: 0 })
      .get("/api/v1/artifacts").query(record).reply(200, { artifacts: [], continuation_token: "t2", total: 0, limit: 2, offset: 0 })
      .get("/api/v1/artifacts").query(record).reply(200, { artifacts: [wireArtifact("c")], total: 1, limit: 2, offset: 0 });
    const all = await makeClient().listAll({ pageSize: 2 });
    expect(ids(all)).toEqual(["a", "b", "c"]);
    expect(queries).toEqual([{ limit: "2" }, { limit: "2", continuation: "t1" }, { limit: "2", continuation: "t2" }]);
  });

  it("total/offset paging (production mocks) pages while offset + items < total", async () => {
    const offsets: Array<string | undefined> = [];
    nock(API)
      .get("/api/v1/artifacts").query((q) => (offsets.push(q["offset"] as string | undefined), true))
      .reply(200, { artifacts: [wireArtifact("a"), wireArtifact("b")], total: 5, limit: 2, offset: 0 })
      .get("/api/v1/artifacts").query((q) => (offsets.push(q["offset"] as string | undefined), true))
      .reply(200, { artifacts: [wireArtifact("c"), wireArtifact("d")], total: 5, limit: 2, offset: 2 })
      .get("/api/v1/artifacts").query((q) => (offsets.push(q["offset"] as string | undefined), true))
      .reply(200, { artifacts: [wireArtifact("e")], total: 5, limit: 2, offset: 4 });
    expect(ids(await makeClient().listAll())).toEqual(["a", "b", "c", "d", "e"]);
    expect(offsets).toEqual([undefined, "2", "4"]);
  });

  it("the bundled backend's total counts the page: one page, no second request", async () => {
    const scope = nock(API).get("/api/v1/artifacts").once().reply(200, { artifacts: [wireArtifact("a")], total: 1, limit: 100, offset: 0 });
    expect(ids(await makeClient().listAll())).toEqual(["a"]);
    expect(scope.isDone()).toBe(true);
  });

  it("an unpaged answer (just {artifacts}) or a bare array is one page", async () => {
    nock(API).get("/api/v1/artifacts").reply(200, { artifacts: [wireArtifact("a"), wireArtifact("b")] });
    expect(ids(await makeClient().listAll())).toEqual(["a", "b"]);
    nock(API).get("/api/v1/artifacts").reply(200, [wireArtifact("z")]);
    expect(ids(await makeClient().listAll())).toEqual(["z"]);
  });

  it("stops when a server ignores offset and serves the same page again", async () => {
    const scope = nock(API).get("/api/v1/artifacts").query(true).times(2).reply(200, { artifacts: [wireArtifact("a"), wireArtifact("b")], total: 9, offset: 0 });
    expect(ids(await makeClient().listAll())).toEqual(["a", "b"]);
    expect(scope.isDone()).toBe(true);
  });

  it("a repeated continuation token is an error, not an endless loop", async () => {
    nock(API).get("/api/v1/artifacts").query(true).times(2).reply(200, { artifacts: [wireArtifact("a")], continuation_token: "same" });
    await expect(makeClient().listAll()).rejects.toMatchObject({ code: "pagination_loop" });
  });

  it("is an async iterator that fetches pages lazily and stops at limit", async () => {
    const scope = nock(API)
      .get("/api/v1/artifacts").query(true).reply(200, { artifacts: [wireArtifact("a"), wireArtifact("b")], continuation_token: "t1" })
      .get("/api/v1/artifacts").query(true).reply(200, { artifacts: [wireArtifact("c")], continuation_token: "t2" });
    const seen: string[] = [];
    for await (const a of makeClient().list({ limit: 3 })) seen.push(a.id);
    expect(seen).toEqual(["a", "b", "c"]);
    expect(scope.isDone()).toBe(true); // the t2 page was never requested (no interceptor for it exists)
  });

  it("a body without an artifacts array is an invalid_response error", async () => {
    nock(API).get("/api/v1/artifacts").reply(200, { items_but_wrong: 1 });
    await expect(makeClient().listAll()).rejects.toMatchObject({ name: "HttpError", code: "invalid_response" });
  });
});

describe("filters", () => {
  const page = {
    artifacts: [
      wireArtifact("a", { name: "Qwen system prompt", visibility: "public", status: "ready" }),
      wireArtifact("b", { name: "Llama doc", model_name: "meta/llama", visibility: "private", status: "pending" }),
      wireArtifact("c", { name: "other", description: "A SYSTEM prompt for support", visibility: "private" }),
      { artifact_id: "d", model_name: "Qwen/Qwen3-0.6B", sha256: "d".repeat(64), size_bytes: 3, visibility: "public" },
    ],
  };

  it("sends the filters to the server and applies them locally when the server ignores them", async () => {
    let query: Record<string, string> = {};
    nock(API).get("/api/v1/artifacts").query((q) => ((query = q as Record<string, string>), true)).reply(200, page);
    const found = await makeClient().listAll({ query: "system", model: "Qwen/Qwen3-0.6B", visibility: "public", status: "ready", scope: "org", pageSize: 50 });
    expect(query).toEqual({ q: "system", model: "Qwen/Qwen3-0.6B", visibility: "public", status: "ready", scope: "org", limit: "50" });
    expect(ids(found)).toEqual(["a"]);
  });

  it("query matches name, model_name and description case-insensitively", async () => {
    nock(API).get("/api/v1/artifacts").query(true).reply(200, page);
    expect(ids(await makeClient().listAll({ query: "SYSTEM" }))).toEqual(["a", "c"]);
    nock(API).get("/api/v1/artifacts").query(true).reply(200, page);
    expect(ids(await makeClient().listAll({ query: "llama" }))).toEqual(["b"]);
  });

  it("a status filter keeps artifacts whose status is unknown (the deployed service sends none)", async () => {
    nock(API).get("/api/v1/artifacts").query(true).reply(200, page);
    expect(ids(await makeClient().listAll({ status: "ready" }))).toEqual(["a", "c", "d"]);
  });
});
