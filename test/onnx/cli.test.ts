import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runKvcdn } from "../cli/run-kvcdn.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import { builderFixture, FIXTURE, LONG_TEXT, makeTempDir } from "./helpers.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let modelDir: string;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;

const kvcdn = (...args: string[]) => runKvcdn(args);

beforeAll(async () => {
  modelDir = await ensureFixtureModel(FIXTURE);
  tmp = await makeTempDir();
});
afterAll(async () => {
  await tmp?.cleanup();
});

describe("kvcdn generate / resume / verify / search", () => {
  it("--debug says whether the graph runs as its new-positions rewrite", async () => {
    const builder = await ensureFixtureModel(builderFixture("separate"));
    const rewritten = await kvcdn("--debug", "generate", "--model", builder, "--dtype", "q4f16", "--context", "a b c", "-o", join(tmp.dir, "debug-builder.kv"));
    expect(rewritten.code).toBe(0);
    expect(rewritten.stderr).toMatch(/kvcdn: debug: graph .*model_q4f16\.onnx runs as its new-positions rewrite/);
    const plain = await kvcdn("--debug", "generate", "--model", modelDir, "--context", "a b c", "-o", join(tmp.dir, "debug-plain.kv"));
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/kvcdn: debug: graph .*model\.onnx runs as the file as it is/);
  });

  it("generate --json prints the sidecar it wrote, with the context file read verbatim", async () => {
    const contextFile = join(tmp.dir, "context.txt");
    await writeFile(contextFile, `${LONG_TEXT.slice(0, 150)}\n`);
    const output = join(tmp.dir, "ctx.kv");
    const { code, stdout } = await kvcdn("generate", "--model", modelDir, "--context-file", contextFile, "-o", output, "--model-id", "test/tiny", "--json");
    expect(code).toBe(0);
    const printed = JSON.parse(stdout);
    expect(printed).toEqual(JSON.parse(await readFile(`${output}.json`, "utf8")));
    expect(printed).toMatchObject({ model_name: "test/tiny", prompt: `${LONG_TEXT.slice(0, 150)}\n`, quantized: false });
    expect(printed.tokens).toHaveLength(printed.num_tokens);
  });

  it("resume --json prints {tokens, text} and verify --json reports a match", async () => {
    const output = join(tmp.dir, "ctx2.kv");
    expect((await kvcdn("generate", "--model", modelDir, "--context", LONG_TEXT.slice(0, 90), "-o", output, "--model-id", "test/tiny")).code).toBe(0);
    const resumed = await kvcdn("resume", "--model", modelDir, "--model-id", "test/tiny", "--kv", output, "--question", " Why?", "-n", "5", "--ignore-eos", "--json");
    expect(resumed.code).toBe(0);
    const { tokens, text, finish_reason } = JSON.parse(resumed.stdout);
    expect(tokens).toHaveLength(5);
    expect(typeof text).toBe("string");
    expect(finish_reason).toBe("length");

    const verified = await kvcdn("verify", "--model", modelDir, "--model-id", "test/tiny", "--kv", output, "--question", " Why?", "-n", "5", "--json");
    expect(verified.code).toBe(0);
    const result = JSON.parse(verified.stdout);
    expect(result).toMatchObject({ match: true, mismatch_indices: [], top_k_agreement: 1, n: 5 });
    // The same greedy continuation on both commands.
    expect(result.tokens_cached).toEqual(tokens);
    expect(result.max_abs_logit_diff).toBeLessThan(1e-4);
  });

  it("verify exits 1 with a one-line error when the cache does not reproduce a full prefill", async () => {
    const output = join(tmp.dir, "lying.kv");
    await kvcdn("generate", "--model", modelDir, "--context", LONG_TEXT.slice(0, 60), "-o", output);
    const sidecar = JSON.parse(await readFile(`${output}.json`, "utf8"));
    const otherIds = JSON.parse((await kvcdn("generate", "--model", modelDir, "--context", LONG_TEXT.slice(200), "-o", join(tmp.dir, "other.kv"), "--json")).stdout).tokens;
    // Re-label the cache with other ids (sha256 still matches: only the sidecar changes).
    sidecar.tokens = otherIds.slice(0, sidecar.num_tokens);
    delete sidecar.prompt;
    await writeFile(`${output}.json`, JSON.stringify(sidecar, null, 2));
    const { code, stdout, stderr } = await kvcdn("verify", "--model", modelDir, "--kv", output, "-n", "4", "--json");
    expect(code).toBe(1);
    expect(JSON.parse(stdout).match).toBe(false);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/verification failed/);
  });

  it("search --json ranks caches by shared prefix", async () => {
    const dir = join(tmp.dir, "search");
    await kvcdn("generate", "--model", modelDir, "--context", LONG_TEXT.slice(0, 100), "-o", join(dir, "a.kv"));
    await kvcdn("generate", "--model", modelDir, "--context", LONG_TEXT.slice(0, 40), "-o", join(dir, "b.kv"));
    const { code, stdout, stderr } = await kvcdn("search", "--dir", dir, "--model", modelDir, "--query", `${LONG_TEXT.slice(0, 100)} more`, "--json");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const matches = JSON.parse(stdout);
    expect(matches.map((m: { path: string }) => m.path)).toEqual([join(dir, "a.kv"), join(dir, "b.kv")]);
    expect(Object.keys(matches[0]).sort()).toEqual(["model", "path", "prefix_tokens", "total_tokens"]);
    expect(matches[0].prefix_tokens).toBeGreaterThan(matches[1].prefix_tokens);
  });

  it("fails with one line naming the missing files for a bad model folder, and the field for a foreign cache", async () => {
    const missing = await kvcdn("generate", "--model", tmp.dir, "--context", "x", "-o", join(tmp.dir, "x.kv"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/missing config\.json, tokenizer\.json, tokenizer_config\.json, onnx\/model\.onnx/);

    const output = join(tmp.dir, "named.kv");
    await kvcdn("generate", "--model", modelDir, "--context", "Hello there", "-o", output, "--model-id", "org/model-a");
    const sidecar = JSON.parse(await readFile(`${output}.json`, "utf8"));
    sidecar.fingerprint.head_dim = 64;
    await writeFile(`${output}.json`, JSON.stringify(sidecar, null, 2));
    const foreign = await kvcdn("resume", "--model", modelDir, "--kv", output, "--question", "?");
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/fingerprint\.head_dim is 64 in the cache but 32/);
  });
});
