import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../../src/cli/run-cli.js";
import { CompatibilityError } from "../../src/errors/index.js";
import { parseSidecar, readSidecar, writeSidecar, type KvSidecar } from "../../src/kv/index.js";
import {
  checkCompatibility,
  loadModel,
  produceCache,
  readModelFolder,
  resumeFromCache,
  type ModelInfo,
  type OnnxModel,
  type ProducedCache,
} from "../../src/onnx/index.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import { FIXTURE, LONG_TEXT, makeTempDir } from "./helpers.js";

let fixtureDir: string;
let model: OnnxModel;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let produced: ProducedCache;
let kvPath: string;

/** A real copy of the fixture (its cached files are shared hard links), with `edit` applied to its config.json. */
async function copyWithConfig(name: string, edit: (config: Record<string, unknown>) => void = () => {}): Promise<string> {
  const dir = join(tmp.dir, name);
  await mkdir(join(dir, ".."), { recursive: true });
  await cp(fixtureDir, dir, { recursive: true });
  const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  edit(config);
  await writeFile(join(dir, "config.json"), JSON.stringify(config, null, 4));
  return dir;
}

function check(info: ModelInfo, metadata: Partial<KvSidecar>, extra: object = {}) {
  return checkCompatibility({ model: info, metadata, ...extra });
}

beforeAll(async () => {
  fixtureDir = await ensureFixtureModel(FIXTURE);
  model = await loadModel({ dir: fixtureDir });
  tmp = await makeTempDir();
  kvPath = join(tmp.dir, "ctx.kv");
  produced = await produceCache({ model, context: LONG_TEXT.slice(0, 80), output: kvPath });
});
afterAll(async () => {
  await model?.dispose();
  await tmp?.cleanup();
});

describe("fingerprints compare what decides whether a cache fits", () => {
  it("records the architecture digest and the weights' identity", () => {
    expect(produced.metadata.fingerprint).toMatchObject({
      arch_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      weights_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      tokenizer_sha256: model.fingerprint.tokenizer_sha256,
    });
  });

  it("a key added to config.json (transformers.js_config) keeps existing caches usable", async () => {
    const dir = await copyWithConfig("edited", (c) => {
      c["transformers.js_config"] = { kv_cache_dtype: { q4f16: "float16" } };
    });
    const info = await readModelFolder({ dir });
    expect(info.fingerprint.config_sha256).not.toBe(model.fingerprint.config_sha256);
    expect(info.fingerprint.arch_sha256).toBe(model.fingerprint.arch_sha256);
    const edited = await loadModel({ dir });
    try {
      const fromEdited = await resumeFromCache({ model: edited, kv: kvPath, question: " And", maxNewTokens: 4, ignoreEos: true }).collect();
      const fromOriginal = await resumeFromCache({ model, kv: kvPath, question: " And", maxNewTokens: 4, ignoreEos: true }).collect();
      expect(fromEdited.tokens).toEqual(fromOriginal.tokens);
    } finally {
      await edited.dispose();
    }
  });

  it("an architecture field that changes refuses the cache, naming the field and the override", async () => {
    const info = await readModelFolder({ dir: await copyWithConfig("eps", (c) => (c["rms_norm_eps"] = 1e-5)) });
    const error = (() => {
      try {
        check(info, produced.metadata);
      } catch (e) {
        return e;
      }
    })() as CompatibilityError;
    expect(error).toBeInstanceOf(CompatibilityError);
    expect(error.field).toBe("fingerprint.arch_sha256");
    expect(error.message).toMatch(/ignoreFields: \["arch_sha256"\] \(CLI: --ignore-fingerprint arch_sha256\)/);
    expect(() => check(info, produced.metadata, { ignoreFields: ["arch_sha256"] })).not.toThrow();
  });

  it("two hub snapshots with the same files but different commits accept each other's caches", async () => {
    const repo = join(tmp.dir, "hub", "models--org--tiny");
    const a = await copyWithConfig(join("hub", "models--org--tiny", "snapshots", "a".repeat(40)));
    const b = await copyWithConfig(join("hub", "models--org--tiny", "snapshots", "b".repeat(40)));
    const [infoA, infoB] = await Promise.all([readModelFolder({ dir: a }), readModelFolder({ dir: b })]);
    expect(infoA.dir.startsWith(repo)).toBe(true);
    expect([infoA.fingerprint.revision, infoB.fingerprint.revision]).toEqual(["a".repeat(40), "b".repeat(40)]);
    expect(check(infoB, { model_name: infoA.modelId, fingerprint: infoA.fingerprint })).toEqual({ unchecked: [] });
    expect(check(infoA, { model_name: infoB.modelId, fingerprint: infoB.fingerprint })).toEqual({ unchecked: [] });
  });

  it("different weights with the same config are refused (weights_sha256) unless ignored", async () => {
    const other = await readModelFolder({ dir: await ensureFixtureModel({ shape: "tiny", seed: 1 }) });
    expect(other.fingerprint.arch_sha256).toBe(model.fingerprint.arch_sha256);
    expect(() => check(other, produced.metadata)).toThrow(/fingerprint\.weights_sha256 is .* --ignore-fingerprint weights_sha256/);
    expect(() => check(other, produced.metadata, { ignoreFields: ["weights_sha256"] })).not.toThrow();
  });

  it("a cache from an older kvcdn (config_sha256 and revision, no digests) still loads, its weights unchecked", async () => {
    const { arch_sha256: _a, weights_sha256: _w, ...legacy } = model.fingerprint;
    const warnings: string[] = [];
    const loaded = await resumeFromCache({
      model,
      kv: { cache: produced.cache, metadata: { ...produced.metadata, fingerprint: legacy } },
      question: "?",
      maxNewTokens: 1,
      onWarning: (m) => warnings.push(m),
    }).collect();
    expect(loaded.tokens).toHaveLength(1);
    expect(warnings).toEqual([expect.stringMatching(/could not check fingerprint weights_sha256 \(not in the cache's sidecar/)]);
    // What it has is still compared: its raw config hash stands in for the architecture digest.
    expect(() => check(model, { fingerprint: { ...legacy, config_sha256: "0".repeat(64) } })).toThrow(/fingerprint\.config_sha256/);
  });
});

describe("a fingerprint that lacks fields is accepted and what it lacks is reported", () => {
  const partial = () => {
    const { model_dtype: _d, weights_sha256: _w, ...rest } = model.fingerprint;
    return rest;
  };

  it("parses a sidecar whose fingerprint has no model_dtype, and still type-checks the fields it has", () => {
    const text = JSON.stringify({ ...produced.metadata, fingerprint: partial() });
    expect(parseSidecar(text).fingerprint).toEqual(partial());
    expect(() => parseSidecar(JSON.stringify({ ...produced.metadata, fingerprint: { ...partial(), head_dim: "32" } }))).toThrow(
      /fingerprint\.head_dim/,
    );
  });

  it("checks what is there and lists the rest as unchecked", async () => {
    expect(check(model, { fingerprint: partial() }, { strictDtype: true })).toEqual({ unchecked: ["weights_sha256", "model_dtype"] });
    expect(() => check(model, { fingerprint: { ...partial(), tokenizer_sha256: "0".repeat(64) } })).toThrow(/tokenizer_sha256/);
  });

  it("the CLI loads it, prints what it could not check with --debug, and takes --ignore-fingerprint", async () => {
    const path = join(tmp.dir, "partial.kv");
    await cp(kvPath, path);
    const sidecar = (await readSidecar(kvPath))!;
    await writeSidecar(path, { ...sidecar, fingerprint: partial() });
    const run = async (...args: string[]) => {
      let stderr = "";
      const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
      const err = vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
      try {
        return { code: await runCli(["node", "kvcdn", ...args]), stderr };
      } finally {
        out.mockRestore();
        err.mockRestore();
      }
    };
    const resume = ["resume", "--model", fixtureDir, "--kv", path, "--question", "?", "-n", "1", "--json"];
    const debug = await run("--debug", ...resume);
    expect(debug.code).toBe(0);
    expect(debug.stderr).toMatch(/kvcdn: debug: could not check fingerprint weights_sha256/);
    expect((await run(...resume)).stderr).toBe("");

    const other = await ensureFixtureModel({ shape: "tiny", seed: 1 });
    const refused = await run("resume", "--model", other, "--kv", kvPath, "--question", "?", "-n", "1", "--json");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--ignore-fingerprint weights_sha256/);
    const ignored = await run("resume", "--model", other, "--kv", kvPath, "--question", "?", "-n", "1", "--json", "--ignore-fingerprint", "weights_sha256");
    expect(ignored.code).toBe(0);
    expect((await run("resume", "--model", other, "--kv", kvPath, "--question", "?", "--ignore-fingerprint", "weights")).code).toBe(2);
  });
});
