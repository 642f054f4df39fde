// The management commands in-process against the real local store: --json shapes, human output, exit codes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKvcdnClient, type Artifact } from "../../src/client/index.js";
import { startLocalStore, type LocalStore } from "../../src/local-store/index.js";
import { seedArtifact } from "../client/seed-artifact.js";
import { runKvcdn } from "./run-kvcdn.js";

let store: LocalStore;
let env: Record<string, string>;
let seeded: Artifact[];
const dir = mkdtempSync(join(tmpdir(), "kvcdn-cli-"));

beforeAll(async () => {
  store = await startLocalStore({});
  env = { KVCDN_API_URL: store.url, KVCDN_API_KEY: store.apiKey, KVCDN_CDN_URL: store.cdnUrl };
  const client = createKvcdnClient({ apiUrl: store.url, apiKey: store.apiKey, env: {}, configPath: false });
  seeded = [
    await seedArtifact(client, { name: "Qwen system prompt", size: 2048 }),
    await seedArtifact(client, { name: "Qwen docs", size: 100, visibility: "public" }),
    await seedArtifact(client, { name: "Llama notes", model: "meta-llama/Llama-3.2-1B", size: 50 }),
  ];
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const parse = (stdout: string): unknown => JSON.parse(stdout);

describe("--json prints one JSON document in the documented shape", () => {
  it("list → {artifacts: [...]}, filtered", async () => {
    const all = await runKvcdn(["list", "--json"], { env });
    expect(all).toMatchObject({ code: 0, stderr: "" });
    const body = parse(all.stdout) as { artifacts: Artifact[] };
    expect(Object.keys(body)).toEqual(["artifacts"]);
    expect(body.artifacts.map((a) => a.id).sort()).toEqual(seeded.map((a) => a.id).sort());
    expect(body.artifacts[0]).toHaveProperty("size_bytes");

    const qwen = parse((await runKvcdn(["list", "--json", "--model", "Qwen/Qwen3-0.6B", "--visibility", "private"], { env })).stdout) as { artifacts: Artifact[] };
    expect(qwen.artifacts.map((a) => a.name)).toEqual(["Qwen system prompt"]);
    const limited = parse((await runKvcdn(["list", "--json", "--limit", "2"], { env })).stdout) as { artifacts: Artifact[] };
    expect(limited.artifacts).toHaveLength(2);
    const query = parse((await runKvcdn(["--json", "list", "--query", "notes"], { env })).stdout) as { artifacts: Artifact[] };
    expect(query.artifacts.map((a) => a.name)).toEqual(["Llama notes"]);
  });

  it("get → the artifact", async () => {
    const a = seeded[0] as Artifact;
    const r = await runKvcdn(["get", a.id, "--json"], { env });
    expect(r.code).toBe(0);
    expect(parse(r.stdout)).toMatchObject({ id: a.id, name: a.name, checksum: a.checksum, status: "ready", visibility: "private" });
  });

  it("visibility → the updated artifact", async () => {
    const a = seeded[2] as Artifact;
    const r = await runKvcdn(["visibility", a.id, "public", "--json"], { env });
    expect(r.code).toBe(0);
    expect(parse(r.stdout)).toMatchObject({ id: a.id, visibility: "public" });
    const back = await runKvcdn(["visibility", a.id, "private"], { env });
    expect(back).toMatchObject({ code: 0, stdout: `${a.id} is now private\n` });
  });

  it("usage → {used_bytes, quota_bytes, artifact_count, artifact_limit}", async () => {
    const r = await runKvcdn(["usage", "--json"], { env });
    const u = parse(r.stdout) as Record<string, number>;
    expect(Object.keys(u)).toEqual(["used_bytes", "quota_bytes", "artifact_count", "artifact_limit"]);
    expect(u).toMatchObject({ used_bytes: 2198, artifact_count: 3, artifact_limit: 20 });
  });

  it("whoami → what the service says", async () => {
    const r = await runKvcdn(["whoami", "--json"], { env });
    expect(parse(r.stdout)).toMatchObject({ customer_id: expect.any(String), org_slug: store.orgSlug });
  });

  it("delete → {id, deleted: true}; the artifact is gone", async () => {
    const victim = await seedArtifact(createKvcdnClient({ apiUrl: store.url, apiKey: store.apiKey, env: {}, configPath: false }), { name: "victim" });
    const r = await runKvcdn(["delete", victim.id, "--yes", "--json"], { env });
    expect(r.code).toBe(0);
    expect(parse(r.stdout)).toEqual({ id: victim.id, deleted: true });
    const again = await runKvcdn(["get", victim.id], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^kvcdn: .*not found.*\n$/i);
  });
});

describe("human output", () => {
  it("list prints a compact table", async () => {
    const r = await runKvcdn(["list", "--model", "Qwen/Qwen3-0.6B"], { env });
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+NAME\s+MODEL\s+TOKENS\s+SIZE\s+VISIBILITY\s+STATUS$/);
    expect(lines).toHaveLength(3);
    expect(r.stdout).toContain("2.0 KiB");
    expect(r.stdout).toContain((seeded[0] as Artifact).id);
  });

  it("get prints labelled lines, usage two lines", async () => {
    const get = await runKvcdn(["get", (seeded[0] as Artifact).id], { env });
    expect(get.stdout).toMatch(/^id:\s+\S+\nname:\s+Qwen system prompt\n/);
    expect(get.stdout).toMatch(/size:\s+2\.0 KiB \(2048 bytes\)/);
    const usage = await runKvcdn(["usage"], { env });
    expect(usage.stdout).toMatch(/^storage: {4}\S+ \S+ of 1\.0 TiB \(0\.0%\)\nartifacts: {2}\d+ of 20\n$/);
  });
});

describe("usage errors exit 2, failures exit 1, each with one line on stderr", () => {
  it("delete without --yes refuses and deletes nothing", async () => {
    const a = seeded[1] as Artifact;
    const r = await runKvcdn(["delete", a.id], { env });
    expect(r).toEqual({ code: 2, stdout: "", stderr: `kvcdn: refusing to delete ${a.id} without --yes\n` });
    expect((await runKvcdn(["get", a.id], { env })).code).toBe(0);
  });

  it.each([
    [["visibility", "x", "everyone"]],
    [["list", "--limit", "0"]],
    [["list", "--visibility", "secret"]],
    [["get"]],
    [["nosuchcommand"]],
    [["list", "--no-such-flag"]],
  ])("%j is a usage error", async (args) => {
    const r = await runKvcdn(args, { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^kvcdn: /);
  });

  it("a missing API key is one clear line", async () => {
    const r = await runKvcdn(["list"], { env: { KVCDN_API_URL: store.url } });
    expect(r).toEqual({ code: 1, stdout: "", stderr: "kvcdn: no API key is configured: pass --api-key, set KVCDN_API_KEY, or add api_key to config.toml (kvcdn config path: see README)\n" });
  });

  it("a malformed config.toml names the file and line", async () => {
    const path = join(dir, "bad.toml");
    writeFileSync(path, `api_url = "${store.url}"\napi_key = = "x"\n`);
    const r = await runKvcdn(["whoami"], { env: {}, configPath: path });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^kvcdn: malformed TOML in ${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} at line 2, column \\d+: .+\\n$`));
  });

  it("flags beat env, env beats config.toml", async () => {
    const path = join(dir, "config.toml");
    writeFileSync(path, `api_url = "http://127.0.0.1:9"\napi_key = "${store.apiKey}"\n`);
    // The file's URL is dead; env points at the store and wins.
    expect((await runKvcdn(["whoami", "--json"], { env: { KVCDN_API_URL: store.url }, configPath: path })).code).toBe(0);
    // The flag points at the store and wins over a dead env URL, with the key from the file.
    expect((await runKvcdn(["--api-url", store.url, "whoami", "--json"], { env: { KVCDN_API_URL: "http://127.0.0.1:9" }, configPath: path })).code).toBe(0);
  });
});

describe("the key never appears in any output", () => {
  const wrong = `kv_${"9f".repeat(32)}`;

  it("not in the one-line error of a rejected key", async () => {
    const r = await runKvcdn(["list", "--api-key", wrong], { env: { KVCDN_API_URL: store.url } });
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(/^kvcdn: .*(HTTP 401|API key)/);
    expect(r.stdout + r.stderr).not.toContain(wrong);
  });

  it("not in --debug request logs and stack traces", async () => {
    const ok = await runKvcdn(["whoami", "--debug"], { env });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/kvcdn: debug: → POST .*\/api\/v1\/api-keys\/verify \(Authorization: Bearer \[redacted\]\)/);
    expect(ok.stderr).toMatch(/kvcdn: debug: ← 200 POST .*\(request id \S+\)/);
    expect(ok.stdout + ok.stderr).not.toContain(store.apiKey);

    const bad = await runKvcdn(["--debug", "--api-key", wrong, "usage"], { env: { KVCDN_API_URL: store.url } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/AuthError|at /); // the stack is printed with --debug
    expect(bad.stdout + bad.stderr).not.toContain(wrong);
  });
});
