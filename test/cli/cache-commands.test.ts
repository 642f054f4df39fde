// kvcdn pull and kvcdn cache ls|rm|prune in-process against the real local store: --json shapes, exit codes.
import { utimes } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheLayout } from "../../src/cache-dir/cache-layout.js";
import { startCacheHarness, type CacheHarness } from "../cache-dir/harness.js";
import { runKvcdn } from "./run-kvcdn.js";

let h: CacheHarness;
let env: Record<string, string>;
let ids: string[];

beforeAll(async () => {
  h = await startCacheHarness();
  env = { KVCDN_API_URL: h.store.url, KVCDN_API_KEY: h.store.apiKey, KVCDN_CDN_URL: h.store.cdnUrl, KVCDN_CACHE_DIR: h.cacheDir };
  ids = [];
  for (let i = 0; i < 3; i++) ids.push((await h.publish({ name: `c${i}`, seed: i + 1, tokens: 16, visibility: "public" })).id);
});
afterAll(async () => {
  await h?.close();
});

const parse = (stdout: string): any => JSON.parse(stdout);

describe("kvcdn pull", () => {
  it("fetches each reference once and prints its path; the second pull makes no request", async () => {
    const first = await runKvcdn(["pull", "--json", ids[0]!, `dev/default/${ids[1]}`], { env });
    expect(first).toMatchObject({ code: 0, stderr: "" });
    const docs = parse(first.stdout) as Array<{ ref: string; path: string; sha256: string; size_bytes: number; downloaded: boolean }>;
    expect(docs.map((d) => [d.ref, d.downloaded])).toEqual([
      [ids[0], true],
      [`dev/default/${ids[1]}`, true],
    ]);
    expect(docs[0]!.path).toBe(`${h.cacheDir}/blobs/${docs[0]!.sha256}.kv`);
    h.store.requests.clear();
    const again = await runKvcdn(["pull", ids[0]!], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(docs[0]!.path);
    expect(again.stdout).toContain("already in the cache directory");
    expect(h.store.requests.count()).toBe(0);
  });

  it("--offline fails with the reference named when the directory lacks it (exit 1), and sends nothing", async () => {
    h.store.requests.clear();
    const miss = await runKvcdn(["pull", "--offline", ids[2]!], { env });
    expect(miss.code).toBe(1);
    expect(miss.stderr).toContain(ids[2]);
    expect(miss.stderr).toMatch(/offline/i);
    const viaEnv = await runKvcdn(["pull", ids[2]!], { env: { ...env, KVCDN_OFFLINE: "1" } });
    expect(viaEnv.code).toBe(1);
    expect(h.store.requests.count()).toBe(0);
  });
});

describe("kvcdn cache", () => {
  it("ls lists reference, model, tokens, size and last use; --json in snake_case", async () => {
    const ls = await runKvcdn(["cache", "ls", "--json"], { env });
    expect(ls.code).toBe(0);
    const body = parse(ls.stdout);
    expect(body.cache_dir).toBe(h.cacheDir);
    expect(body.entries).toHaveLength(2);
    expect(body.entries[0]).toMatchObject({ model_name: "Qwen/Qwen3-0.6B", num_tokens: 16, kind: expect.stringMatching(/id|url/) });
    expect(Object.keys(body.entries[0]).sort()).toEqual(
      ["artifact_id", "fetched_at", "kind", "last_used_at", "model_name", "num_tokens", "path", "ref", "sha256", "size_bytes"].sort(),
    );
    const human = await runKvcdn(["cache", "ls", "--cache-dir", h.cacheDir], { env: {} });
    expect(human.stdout.split("\n")[0]).toMatch(/^REF +MODEL +TOKENS +SIZE +LAST USED$/);
    expect(human.stdout).toContain(ids[0]);
  });

  it("prune --older-than removes what was not used for that long; --max-size least recently used first", async () => {
    await runKvcdn(["pull", ids[2]!], { env });
    const entries = parse((await runKvcdn(["cache", "ls", "--json"], { env })).stdout).entries as Array<{ ref: string; size_bytes: number }>;
    expect(entries).toHaveLength(3);
    const layout = cacheLayout(h.cacheDir);
    const listed = await (await import("../../src/index.js")).listCachedKv({ cacheDir: h.cacheDir, env: {} });
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000);
    const byRef = new Map(listed.map((e) => [e.ref, e.key]));
    await utimes(layout.refIndexPath(byRef.get(ids[0]!)!), ago(45), ago(45));
    await utimes(layout.refIndexPath(byRef.get(`dev/default/${ids[1]}`)!), ago(5), ago(5));

    const dry = await runKvcdn(["cache", "prune", "--older-than", "30d", "--dry-run", "--json"], { env });
    expect(parse(dry.stdout)).toMatchObject({ dry_run: true, removed: [{ ref: ids[0] }] });
    const old = await runKvcdn(["cache", "prune", "--older-than", "30d", "--json"], { env });
    expect(parse(old.stdout)).toMatchObject({ removed: [{ ref: ids[0] }], dry_run: false });
    const size = entries[0]!.size_bytes;
    const fit = await runKvcdn(["cache", "prune", "--max-size", `${size + 10}B`, "--json"], { env });
    expect(parse(fit.stdout)).toMatchObject({ removed: [{ ref: `dev/default/${ids[1]}` }], kept_bytes: size });
    expect(parse((await runKvcdn(["cache", "ls", "--json"], { env })).stdout).entries.map((e: { ref: string }) => e.ref)).toEqual([ids[2]]);
  });

  it("rm removes a reference, exit 1 for one it does not hold; bad flags are usage errors (exit 2)", async () => {
    const rm = await runKvcdn(["cache", "rm", "--json", ids[2]!], { env });
    expect(rm.code).toBe(0);
    expect(parse(rm.stdout)).toMatchObject({ removed: [{ ref: ids[2] }], not_found: [] });
    expect(parse(rm.stdout).freed_bytes).toBeGreaterThan(0);
    const gone = await runKvcdn(["cache", "rm", ids[2]!], { env });
    expect(gone.code).toBe(1);
    expect(gone.stdout).toContain(`not in the cache directory: ${ids[2]}`);
    expect((await runKvcdn(["cache", "prune", "--max-size", "lots"], { env })).code).toBe(2);
    expect((await runKvcdn(["cache", "prune", "--older-than", "30"], { env })).code).toBe(2);
    expect((await runKvcdn(["cache", "prune"], { env })).code).toBe(2);
  });
});
