import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runKvcdn } from "../cli/run-kvcdn.js";
import { writeKvFixture } from "./kv-fixture.js";
import { startHarness, type Harness } from "./store-harness.js";

let h: Harness;
const kvs: Array<{ path: string; sha256: string; nbytes: number }> = [];
beforeAll(async () => {
  h = await startHarness();
  for (let i = 0; i < 2; i++) kvs.push(await writeKvFixture(join(h.dir, `cli${i}.kv`), { layers: 2, tokens: 32, seed: 10 + i }));
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  for (const a of await h.artifacts()) await h.client.delete(a.id);
});

/** Run `kvcdn …` in-process against the local store; stderr is a pipe (not a TTY). */
const kvcdn = (...args: string[]) =>
  runKvcdn(["--api-url", h.store.url, "--cdn-url", h.store.cdnUrl, ...args], { env: { KVCDN_API_KEY: h.store.apiKey } });

describe("kvcdn upload / download", () => {
  it("upload --json prints the final artifact; download --json prints {id, path, size_bytes, sha256}", async () => {
    const up = await kvcdn("--json", "upload", kvs[0]?.path as string, "--name", "Qwen system prompt", "--visibility", "public");
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    const artifact = JSON.parse(up.stdout) as Record<string, unknown>;
    expect(artifact).toMatchObject({ status: "ready", checksum: kvs[0]?.sha256, size_bytes: kvs[0]?.nbytes, visibility: "public", name: "Qwen system prompt", model_name: "Qwen/Qwen3-0.6B" });

    const out = join(h.dir, "cli-out");
    await mkdir(out, { recursive: true });
    const down = await kvcdn("--json", "download", artifact.id as string, "-o", out);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)).toEqual({ id: artifact.id, path: join(out, `${String(artifact.id)}.kv`), size_bytes: kvs[0]?.nbytes, sha256: kvs[0]?.sha256 });
    expect((await readFile(join(out, `${String(artifact.id)}.kv`))).equals(await readFile(kvs[0]?.path as string))).toBe(true);

    // Public: by id with --org/--project, from the CDN, no credentials.
    h.store.requests.clear();
    const pub = await kvcdn("--json", "download", artifact.id as string, "--org", h.store.orgSlug, "--project", h.store.projectSlug, "-o", join(out, "public.kv"));
    expect(pub.code).toBe(0);
    expect(JSON.parse(pub.stdout)).toMatchObject({ path: join(out, "public.kv"), sha256: kvs[0]?.sha256 });
    expect(h.store.requests.ofKind("cdn").length).toBeGreaterThan(0);
    expect(h.store.requests.ofKind("cdn").every((r) => !r.hasAuthorization)).toBe(true);
  });

  it("uploads several files at once and prints an array", async () => {
    const up = await kvcdn("--json", "upload", kvs[0]?.path as string, kvs[1]?.path as string, "--concurrency", "2");
    expect(up.code).toBe(0);
    const list = JSON.parse(up.stdout) as Array<{ checksum: string; name: string }>;
    expect(list.map((a) => a.checksum)).toEqual([kvs[0]?.sha256, kvs[1]?.sha256]);
    expect(list.map((a) => a.name)).toEqual(["cli0", "cli1"]);
  });

  it("prints human lines without --json, and nothing on stderr when it is not a TTY", async () => {
    const up = await kvcdn("upload", kvs[1]?.path as string);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^uploaded .*cli1\.kv → [0-9a-f-]{36} \(.*, ready, private\)\n$/);
    expect(up.stderr).toBe("");
  });

  it("reports a partial batch failure: the array holds the error, exit code 1", async () => {
    const missing = join(h.dir, "nope.kv");
    const up = await kvcdn("--json", "upload", kvs[0]?.path as string, missing);
    expect(up.code).toBe(1);
    const list = JSON.parse(up.stdout) as Array<Record<string, unknown>>;
    expect(list[0]).toMatchObject({ status: "ready" });
    expect(list[1]).toMatchObject({ file: missing, error: { name: "LocalFileError", code: "ENOENT" } });
    expect(up.stderr).toBe("kvcdn: 1 of 2 uploads failed\n");
  });

  it("fails with one line and exit 1 on a corrupt download, leaving the destination untouched", async () => {
    const up = await kvcdn("--json", "upload", kvs[0]?.path as string);
    const { id } = JSON.parse(up.stdout) as { id: string };
    const dest = join(h.dir, "keep.kv");
    await writeFile(dest, "old");
    h.store.faults.inject({ on: "get", action: "corrupt-served" });
    const down = await kvcdn("download", id, "-o", dest);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^kvcdn: SHA-256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}\n$/);
    expect(await readFile(dest, "utf8")).toBe("old");
  });

  it("download -o into a directory that does not exist yet (trailing /) creates it", async () => {
    const { id } = JSON.parse((await kvcdn("--json", "upload", kvs[0]?.path as string)).stdout) as { id: string };
    const out = join(h.dir, "fresh", "caches") + "/";
    const down = await kvcdn("--json", "download", id, "-o", out);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({ path: join(out, `${id}.kv`), sha256: kvs[0]?.sha256 });
    expect((await readFile(join(out, `${id}.kv`))).byteLength).toBe(kvs[0]?.nbytes);
  });

  it("rejects bad flags with exit 2", async () => {
    expect((await kvcdn("upload", kvs[0]?.path as string, "--visibility", "secret")).code).toBe(2);
    expect((await kvcdn("upload", kvs[0]?.path as string, kvs[1]?.path as string, "--name", "x")).code).toBe(2);
    expect((await kvcdn("download", "abc", "--org", "acme")).code).toBe(2);
    expect((await kvcdn("download", "abc", "--concurrency", "0")).code).toBe(2);
    for (const flag of ["--name", "--model"]) {
      const r = await kvcdn("upload", kvs[0]?.path as string, flag, "");
      expect(r).toMatchObject({ code: 2, stderr: expect.stringContaining(`${flag} must not be empty`) });
      expect((await kvcdn("upload", kvs[0]?.path as string, flag, "  ")).code).toBe(2);
    }
    expect(await h.artifacts()).toEqual([]);
  });

  it("never prints the API key", async () => {
    const up = await kvcdn("--debug", "upload", join(h.dir, "missing.kv"));
    expect(up.code).toBe(1);
    expect(up.stdout + up.stderr).not.toContain(h.store.apiKey);
  });
});
