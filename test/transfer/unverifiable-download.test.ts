import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/run-cli.js";
import { downloadArtifact } from "../../src/transfer/download-artifact.js";
import { planKvShards } from "../../src/transfer/plan-kv-shards.js";
import { resolveDownloadSource } from "../../src/transfer/resolve-download-source.js";
import { writeKvFixture } from "./kv-fixture.js";
import { startRawServer, type RawServer } from "./raw-server.js";

// Public URLs that nothing vouches for (no checksum from an artifact, the caller or the CDN): what they answer must be
// a .kv, or nothing is saved.
let server: RawServer;
let dir: string;
let out: string;
let kv: { path: string; sha256: string; nbytes: number };
beforeAll(async () => {
  server = await startRawServer();
  dir = await mkdtemp(join(tmpdir(), "kvcdn-unverifiable-"));
  kv = await writeKvFixture(join(dir, "ctx.kv"), { layers: 3, tokens: 16 });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  out = await mkdtemp(join(dir, "out-"));
});

const serve = (body: string | Buffer, type: string) =>
  server.handle((_req, res) => {
    res.writeHead(200, { "content-type": type, "content-length": Buffer.byteLength(body) });
    res.end(body);
  });

describe("unverifiable public downloads", () => {
  it.each([
    ["a JSON error body", '{"error":"not found","statusCode":404}', "application/json"],
    ["an HTML proxy page", "<!doctype html><html><body>Please sign in</body></html>", "text/html; charset=utf-8"],
    ["a few stray bytes", "abc", "application/octet-stream"],
  ])("refuses %s with a KvFormatError and leaves nothing behind", async (_what, body, type) => {
    serve(body, type);
    const error = await downloadArtifact({ source: `${server.url}/acme/chat/download`, dest: join(out, "x.kv") }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "KvFormatError", message: expect.stringMatching(/is not a \.kv file.*nothing was saved/) });
    expect(await readdir(out)).toEqual([]);
  });

  it("the CLI exits 1 and writes nothing for a page that is not a .kv", async () => {
    serve("<html>login</html>", "text/html");
    let stderr = "";
    const code = await runCli(["node", "kvcdn", "download", `${server.url}/x`, "-o", join(out, "x.kv")], {
      stdout: { write: () => undefined },
      stderr: { write: (s: string) => (stderr += s) },
      env: {},
      configPath: false,
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/text\/html response that is not a \.kv file/);
    expect(await readdir(out)).toEqual([]);
  });

  it("accepts a real .kv (unverified) and names it after the id only when the URL ends with one", async () => {
    serve(await readFile(kv.path), "application/octet-stream");
    const named = await downloadArtifact({ source: `${server.url}/acme/chat/download`, dest: `${out}/` });
    expect(named).toMatchObject({ path: join(out, "artifact.kv"), sha256: kv.sha256, verified: false });
    const id = "3f1c2b9e-0000-4000-8000-0000000000aa";
    const byId = await downloadArtifact({ source: `${server.url}/acme/chat/${id}`, dest: `${out}/` });
    expect(byId).toMatchObject({ id, path: join(out, `${id}.kv`) });
    expect(resolveDownloadSource(undefined, `${server.url}/acme/chat/download`)).toMatchObject({ kind: "public", id: undefined });
  });

  it("refuses a lone shard found at a public URL, naming the shards it needs", async () => {
    const plan = await planKvShards({ file: kv.path, maxPutBytes: Math.ceil(kv.nbytes / 3) + 512, groupSha256: kv.sha256 });
    const second = plan.shards[1]!;
    const parts: Buffer[] = [];
    for (const seg of second.body.segments) {
      parts.push("data" in seg ? Buffer.from(seg.data) : (await readFile(seg.file)).subarray(seg.start, seg.end));
    }
    serve(Buffer.concat(parts), "application/octet-stream");
    const error = await downloadArtifact({ source: `${server.url}/acme/chat/shard`, dest: join(out, "x.kv") }).catch((e: unknown) => e);
    const others = plan.shards.map((s) => s.index + 1).filter((n) => n !== 2);
    expect(error).toMatchObject({ name: "ShardGroupError", code: "shard_group_incomplete", count: plan.shards.length, missing: others });
    expect(await readdir(out)).toEqual([]);
    // Asked for explicitly, the shard alone is kept.
    await mkdir(join(out, "alone"));
    const alone = await downloadArtifact({ source: `${server.url}/acme/chat/shard`, dest: join(out, "alone", "s.kv"), reassemble: false });
    expect(alone.sizeBytes).toBe(second.body.sizeBytes);
  });
});
