import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Artifact } from "../../src/client/index.js";
import { downloadArtifact } from "../../src/transfer/download-artifact.js";
import type { DownloadOptions } from "../../src/transfer/download-options.js";
import { uploadArtifact } from "../../src/transfer/upload-artifact.js";
import { writeKvFixture } from "./kv-fixture.js";
import { FAST_RETRY, startHarness, type Harness } from "./store-harness.js";

// The download fault matrix over real HTTP: after each case the destination holds exactly the verified bytes
// (recovery) or is exactly as it was (typed failure), and no temporary file is left beside it.
let h: Harness;
let kv: { path: string; sha256: string; nbytes: number };
let artifact: Artifact;
let out: string;
let original: Buffer;

beforeAll(async () => {
  h = await startHarness();
  kv = await writeKvFixture(join(h.dir, "ctx.kv"), { layers: 8, tokens: 1024, headDim: 64, prompt: "shared context" });
  original = await readFile(kv.path);
  artifact = await uploadArtifact({ client: h.client, file: kv.path, retry: FAST_RETRY, visibility: "public" });
  out = join(h.dir, "out");
  await mkdir(out);
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  h.store.faults.clear();
  h.store.requests.clear();
  const { rm } = await import("node:fs/promises");
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
});

const download = (options: Partial<DownloadOptions> & { source?: Parameters<typeof downloadArtifact>[0]["source"]; dest?: string } = {}) =>
  downloadArtifact({ client: h.client, source: artifact.id, dest: join(out, "ctx.kv"), retry: FAST_RETRY, ...options });

async function expectDownloaded(path = join(out, "ctx.kv")): Promise<void> {
  expect((await readFile(path)).equals(original)).toBe(true);
  // Beside the file and its sidecar: the verification record of the hash made on the way in.
  expect(await h.files("out")).toEqual(["ctx.kv", "ctx.kv.json", "ctx.kv.verified.json"]);
}

describe("private download recovery", () => {
  it("truncated transfer: resumes with Range from where it stopped", async () => {
    h.store.faults.inject({ on: "get", action: "reset", afterBytes: Math.floor(kv.nbytes / 2) });
    const result = await download();
    expect(result).toMatchObject({ sha256: kv.sha256, sizeBytes: kv.nbytes, verified: true });
    await expectDownloaded();
    const gets = h.store.requests.ofKind("get");
    expect(gets).toHaveLength(2);
    expect(gets[1]?.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(gets.every((r) => !r.hasAuthorization)).toBe(true);
  });

  it("expired download URL: a fresh one from download-url, then success", async () => {
    h.store.faults.inject({ on: "get", action: "expire" });
    await download();
    await expectDownloaded();
    expect(h.store.requests.count("createDownloadUrl")).toBe(2);
  });

  it("503 with Retry-After then success", async () => {
    h.store.faults.inject({ on: "get", action: "status", status: 503, retryAfter: 0 });
    await download();
    await expectDownloaded();
  });

  it("corrupted bytes: IntegrityError (expected, actual), the old destination untouched, no temp file", async () => {
    await writeFile(join(out, "ctx.kv"), "the previous cache");
    h.store.faults.inject({ on: "get", action: "corrupt-served" });
    const error = await download().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "IntegrityError", expected: kv.sha256 });
    expect((error as { actual: string }).actual).toMatch(/^[0-9a-f]{64}$/);
    expect((error as { actual: string }).actual).not.toBe(kv.sha256);
    expect(await readFile(join(out, "ctx.kv"), "utf8")).toBe("the previous cache");
    expect(await h.files("out")).toEqual(["ctx.kv"]);
  });

  it("truncated every time: NetworkError after maxResumes, nothing written", async () => {
    h.store.faults.inject({ on: "get", action: "reset", afterBytes: 1000, times: 10 });
    const error = await download({ maxResumes: 2 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "NetworkError" });
    expect(await h.files("out")).toEqual([]);
  });

  it("aborted mid-download: AbortError with the reason, destination untouched", async () => {
    await writeFile(join(out, "ctx.kv"), "keep me");
    const controller = new AbortController();
    const reason = new Error("stop");
    h.store.faults.inject({ on: "get", action: "reset", afterBytes: 100_000 }); // a pause point: the resume waits for backoff
    const error = await download({
      signal: controller.signal,
      retry: { ...FAST_RETRY, delay: () => 200 },
      onProgress: (e) => {
        if (e.phase === "downloading" && e.bytes > 0) controller.abort(reason);
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AbortError", cause: reason });
    expect(await readFile(join(out, "ctx.kv"), "utf8")).toBe("keep me");
    expect(await h.files("out")).toEqual(["ctx.kv"]);
  });

  it("an unknown id is NotFoundError and writes nothing", async () => {
    const error = await download({ source: "00000000-0000-4000-8000-000000000000" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "NotFoundError" });
    expect(await h.files("out")).toEqual([]);
  });

  it("into a directory: <id>.kv and its sidecar from the artifact's metadata", async () => {
    const result = await download({ dest: out });
    expect(result.path).toBe(join(out, `${artifact.id}.kv`));
    expect(result.sidecarPath).toBe(join(out, `${artifact.id}.kv.json`));
    const sidecar = JSON.parse(await readFile(join(out, `${artifact.id}.kv.json`), "utf8")) as Record<string, unknown>;
    const source = JSON.parse(await readFile(`${kv.path}.json`, "utf8")) as Record<string, unknown>;
    expect(sidecar).toEqual({ ...source, sha256: kv.sha256 });
  });
});

describe("public download from the CDN", () => {
  it("by whole URL: no credentials to the CDN, verified, resumed after a cut", async () => {
    h.store.faults.inject({ on: "cdn", action: "reset", afterBytes: 200_000 });
    const url = h.client.publicUrl({ orgSlug: h.store.orgSlug, projectSlug: h.store.projectSlug, id: artifact.id });
    const result = await download({ source: url });
    expect(result).toMatchObject({ id: artifact.id, sha256: kv.sha256, verified: true });
    await expectDownloaded();
    const cdn = h.store.requests.ofKind("cdn");
    expect(cdn).toHaveLength(2);
    expect(cdn.every((r) => !r.hasAuthorization)).toBe(true);
    expect(h.store.requests.count("createDownloadUrl")).toBe(0);
  });

  it("by { orgSlug, projectSlug, id }", async () => {
    await download({ source: { orgSlug: h.store.orgSlug, projectSlug: h.store.projectSlug, id: artifact.id } });
    await expectDownloaded();
    expect(h.store.requests.ofKind("cdn").every((r) => !r.hasAuthorization)).toBe(true);
  });

  it("without any client or API key: verified against the CDN's X-Checksum-Sha256, corruption caught", async () => {
    const url = h.client.publicUrl({ orgSlug: h.store.orgSlug, projectSlug: h.store.projectSlug, id: artifact.id });
    const ok = await downloadArtifact({ source: url, dest: join(out, "anon.kv") });
    expect(ok).toMatchObject({ sha256: kv.sha256, verified: true });
    h.store.faults.inject({ on: "cdn", action: "corrupt-served" });
    const error = await downloadArtifact({ source: url, dest: join(out, "bad.kv") }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "IntegrityError", expected: kv.sha256 });
    // The failed download left nothing, not even a record; the good one is recorded as verified.
    expect(await h.files("out")).toEqual(["anon.kv", "anon.kv.verified.json"]);
  });
});
