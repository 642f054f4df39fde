import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { defaultStoreDir } from "../../src/local-store/index.js";
import { call, uploadFields, randomBlob } from "./support/store-client.js";

// Starts and kills child processes (a store, the built CLI): slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const CLI = join(import.meta.dirname, "..", "..", "src", "cli.ts");

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "kvcdn-serve-"));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

/** Start `kvcdn serve … --json` and resolve with its JSON line and a way to stop it. */
async function serve(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, "serve", "--json", "--port", "0", "--data-dir", dataDir, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    void exited.then((code) => reject(new Error(`kvcdn serve exited with ${code}: ${stderr}`)));
  });
  const stop = async (): Promise<number | null> => {
    child.kill("SIGTERM");
    return exited;
  };
  return { info: JSON.parse(line) as Record<string, string>, stop, stderr: () => stderr };
}

describe("kvcdn serve", () => {
  it("prints one JSON line with the URLs and dev key, serves the API, and exits 0 on SIGTERM", async () => {
    const { info, stop, stderr } = await serve(["--artifact-limit", "1"]);
    expect(Object.keys(info).sort()).toEqual(["api_key", "cdn_url", "data_dir", "org_slug", "project_slug", "url"]);
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.cdn_url).toBe(`${info.url}/cdn`);
    expect(info.api_key).toMatch(/^kv_[0-9a-f]{64}$/);
    expect(info).toMatchObject({ org_slug: "dev", project_slug: "default", data_dir: dataDir });
    const store = { url: info.url! };
    expect((await call(store, "GET", "/health")).body).toEqual({ status: "ok" });
    expect((await call(store, "POST", "/api/v1/artifacts/upload-url", { key: info.api_key!, json: uploadFields(randomBlob(4)) })).status).toBe(200);
    expect((await call(store, "POST", "/api/v1/artifacts/upload-url", { key: info.api_key!, json: uploadFields(randomBlob(4)) })).status).toBe(403);
    expect(await stop()).toBe(0);
    expect(stderr()).toMatch(/POST \/api\/v1\/artifacts\/upload-url 200/);
    expect(stderr()).not.toContain(info.api_key);

    const again = await serve([]);
    expect(again.info.api_key).toBe(info.api_key);
    expect(await again.stop()).toBe(0);
  });

  it("--drop-metadata discards metadata and description like the deployed backend", async () => {
    const { info, stop } = await serve(["--drop-metadata"]);
    const store = { url: info.url! };
    const up = await call(store, "POST", "/api/v1/artifacts/upload-url", {
      key: info.api_key!,
      json: uploadFields(randomBlob(4), { description: "d", metadata: { name: "n", sidecar: { prompt: "p" } } }),
    });
    expect(up.status).toBe(200);
    const listed = (await call(store, "GET", "/api/v1/artifacts", { key: info.api_key! })).body.artifacts[0];
    expect(listed).toMatchObject({ description: null });
    expect(listed.metadata ?? {}).toEqual({});
    expect(await stop()).toBe(0);
  });

  it("exits 2 on a bad flag value", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "serve", "--port", "http"], { stdio: ["ignore", "ignore", "pipe"] });
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
  });

  it("keeps its data per user unless told otherwise", () => {
    expect(defaultStoreDir({ KVCDN_STORE_DIR: "/srv/kv" })).toBe("/srv/kv");
    expect(defaultStoreDir({ XDG_DATA_HOME: "/x", KVCDN_STORE_DIR: "" })).toBe(join("/x", "kvcdn", "store"));
    expect(defaultStoreDir({})).toMatch(/\.local[/\\]share[/\\]kvcdn[/\\]store$/);
  });
});
