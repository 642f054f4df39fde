import { createHash } from "node:crypto";
import { access, mkdir, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createFixtureModel } from "./create-fixture-model.js";
import { FIXTURE_GENERATOR_VERSION } from "./fixture-generator-version.js";
import { FixtureModelError } from "./fixture-model-error.js";
import { resolveFixtureShape, type FixtureShape } from "./fixture-shapes.js";
import {
  resolveLayout,
  usesExternalData,
  variantOnnxFile,
  type BuilderVariant,
  type FixtureLayout,
  type RotaryMode,
} from "./builder-variant.js";

/** Options of {@link ensureFixtureModel}. */
export interface EnsureFixtureModelOptions {
  /** `tiny`, `qwen3-0.6b` or custom dimensions. @default "tiny" */
  shape?: FixtureShape;
  /** Seed of the random weights. @default 0 */
  seed?: number;
  /** As in {@link createFixtureModel}; part of the cache key. @default "auto" */
  externalData?: boolean | "auto";
  /** `plain` or `builder` (see {@link createFixtureModel}); part of the cache key. @default "plain" */
  layout?: FixtureLayout;
  /** Builder layout: the variant or variants to write; part of the cache key. @default "q4f16" */
  variants?: BuilderVariant | readonly BuilderVariant[];
  /** Builder layout: `separate` or `fused` rotary; part of the cache key. @default "separate" */
  rotary?: RotaryMode;
  /**
   * Folder holding cached fixtures. @default `node_modules/.cache/kvcdn/fixtures` of the nearest `node_modules` above
   * the working directory, else `<os.tmpdir()>/kvcdn-fixtures`
   */
  cacheDir?: string;
  /** Abort generation (a cached model returns at once). */
  signal?: AbortSignal;
}

/** Files every complete fixture has (plus its ONNX files); a cached folder missing one is regenerated. */
const REQUIRED_FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"];
/** Temporary folders older than this are leftovers of a killed generator and are removed. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * The path of a fixture model folder for `shape` and `seed`, generating it on first use and reusing it afterwards.
 * The cache key (`<shape>-<seed>-g<generator version>-<hash>`) changes whenever the generator's output would, so a
 * stale fixture is never reused. Safe under concurrency (parallel test files, processes): each generator writes a
 * private temporary folder and renames it into place; the first rename wins and the others use its result.
 * Builder-layout folders are keyed by rotary mode and variants too (`qwen3-0.6b-builder-separate-q4f16-0-g1-…`).
 * @example const dir = await ensureFixtureModel({ shape: "tiny", seed: 1 }) // …/fixtures/tiny-1-g1-3f2a9c01
 * @example const dir = await ensureFixtureModel({ shape: "qwen3-0.6b", layout: "builder", variants: "q4f16" })
 */
export async function ensureFixtureModel(options: EnsureFixtureModelOptions = {}): Promise<string> {
  const { name, dims } = resolveFixtureShape(options.shape ?? "tiny");
  const seed = options.seed ?? 0;
  const externalData = options.externalData ?? "auto";
  const { layout, builder, variants, rotary } = resolveLayout(options);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new FixtureModelError(`seed must be a non-negative safe integer, got ${JSON.stringify(seed)}`, { code: "bad_seed" });
  }
  const cacheDir = options.cacheDir === undefined ? await defaultFixtureCacheDir() : resolve(options.cacheDir);
  const digest = createHash("sha256")
    // The plain layout's key material is unchanged from before builder layouts existed, so its cached folders stay valid.
    .update(JSON.stringify(builder ? { dims, layout, variants, rotary, generator: FIXTURE_GENERATOR_VERSION } : { dims, externalData, generator: FIXTURE_GENERATOR_VERSION }))
    .digest("hex")
    .slice(0, 8);
  const label = builder ? `${name}-builder-${rotary}-${variants.join("+")}` : name;
  const dir = join(cacheDir, `${label}-${seed}-g${FIXTURE_GENERATOR_VERSION}-${digest}`);
  const onnxFiles = builder
    ? variants.flatMap((v) => (usesExternalData(v) ? [variantOnnxFile(v), `${variantOnnxFile(v)}_data`] : [variantOnnxFile(v)]))
    : ["onnx/model.onnx"];
  const required = [...REQUIRED_FILES, ...onnxFiles];
  if (await isComplete(dir, required)) return dir;

  await mkdir(cacheDir, { recursive: true });
  await removeStaleTemps(cacheDir);
  // Folders only ever appear complete (rename), so one that exists but lacks a file was damaged by hand: replace it.
  if (await exists(dir)) await rm(dir, { recursive: true, force: true });
  try {
    await createFixtureModel({
      dir,
      shape: options.shape ?? "tiny",
      seed,
      ...(builder ? { layout, variants, rotary: rotary! } : { externalData }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (e) {
    if (await isComplete(dir, required)) return dir; // another process finished first
    throw e;
  }
  return dir;
}

/**
 * The default fixture cache: `node_modules/.cache/kvcdn/fixtures` in the nearest `node_modules` above the working
 * directory (the convention of babel, eslint and vite caches), or `<os.tmpdir()>/kvcdn-fixtures` when there is none.
 */
export async function defaultFixtureCacheDir(): Promise<string> {
  let dir = process.cwd();
  for (;;) {
    const candidate = join(dir, "node_modules");
    try {
      if ((await stat(candidate)).isDirectory()) return join(candidate, ".cache", "kvcdn", "fixtures");
    } catch {
      // keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return join(tmpdir(), "kvcdn-fixtures");
    dir = parent;
  }
}

async function isComplete(dir: string, files: readonly string[]): Promise<boolean> {
  try {
    await Promise.all(files.map((f) => access(join(dir, f))));
    return true;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function removeStaleTemps(cacheDir: string): Promise<void> {
  const now = Date.now();
  for (const entry of await readdir(cacheDir).catch(() => [] as string[])) {
    if (!entry.startsWith(".") || !entry.includes(".tmp")) continue;
    const path = join(cacheDir, entry);
    try {
      if (now - (await stat(path)).mtimeMs > STALE_TEMP_MS) await rm(path, { recursive: true, force: true });
    } catch {
      // another process removed or renamed it
    }
  }
}
