// Model commands of the built CLI relaunch themselves with the tuned C allocator (GLIBC_TUNABLES is read at process
// start only): which runs relaunch, what the child inherits, and that exit codes and signals come back through.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { commandOf, MODEL_COMMANDS, shouldRelaunch, tunedEnv } from "../../src/cli/relaunch-tuned.js";
import { hasBothThresholds, mallocTuning, MODEL_MALLOC_TUNABLES, runsOnGlibc } from "../../src/onnx/malloc-tunables.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import { FIXTURE, LONG_TEXT, makeTempDir } from "../onnx/helpers.js";
import { BUILT_CLI, runBuiltKvcdn } from "./run-kvcdn.js";

vi.setConfig({ testTimeout: 120_000 });

const argv = (...args: string[]): string[] => ["node", "kvcdn", ...args];

describe("which runs relaunch", () => {
  it("finds the command after global flags and their values", () => {
    expect(commandOf(argv("verify", "--model", "m"))).toBe("verify");
    expect(commandOf(argv("--api-url", "http://x", "--json", "resume", "--kv", "a.kv"))).toBe("resume");
    expect(commandOf(argv("--debug", "generate"))).toBe("generate");
    expect(commandOf(argv("--", "generate"))).toBe("generate");
    expect(commandOf(argv("--version"))).toBeUndefined();
  });

  it("relaunches model commands on glibc only, unless opted out or already tuned", () => {
    for (const c of MODEL_COMMANDS) expect(shouldRelaunch(argv(c, "--model", "m"), {}, true)).toBe(true);
    expect(shouldRelaunch(argv("upload", "a.kv"), {}, true)).toBe(false);
    expect(shouldRelaunch(argv("search", "--model", "m", "."), {}, true)).toBe(false);
    expect(shouldRelaunch(argv("verify"), {}, false)).toBe(false);
    expect(shouldRelaunch(argv("verify"), { KVCDN_MALLOC_TUNING: "0" }, true)).toBe(false);
    expect(shouldRelaunch(argv("verify"), { GLIBC_TUNABLES: MODEL_MALLOC_TUNABLES }, true)).toBe(false);
    // One threshold of the user's own is not both: ours are appended (glibc takes the last value of a name).
    expect(shouldRelaunch(argv("verify"), { GLIBC_TUNABLES: "glibc.malloc.trim_threshold=1" }, true)).toBe(true);
  });

  it("keeps the user's own tunables and appends the two thresholds", () => {
    expect(tunedEnv({ A: "1" })).toEqual({ A: "1", GLIBC_TUNABLES: MODEL_MALLOC_TUNABLES });
    const env = tunedEnv({ GLIBC_TUNABLES: "glibc.malloc.hugetlb=1" });
    expect(env["GLIBC_TUNABLES"]).toBe(`glibc.malloc.hugetlb=1:${MODEL_MALLOC_TUNABLES}`);
    expect(hasBothThresholds(env["GLIBC_TUNABLES"])).toBe(true);
    expect(hasBothThresholds("glibc.malloc.mmap_threshold=1")).toBe(false);
  });

  it.runIf(runsOnGlibc())("reports this process's allocator from its environment", () => {
    expect(mallocTuning({})).toBe("default");
    expect(mallocTuning({ GLIBC_TUNABLES: MODEL_MALLOC_TUNABLES })).toBe("tuned");
  });
});

describe.runIf(existsSync(BUILT_CLI) && runsOnGlibc())("dist/cli.js model commands", () => {
  let modelDir: string;
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeAll(async () => {
    modelDir = await ensureFixtureModel(FIXTURE);
    tmp = await makeTempDir();
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it("run in a child with the tuned allocator, and print what they printed with its exit code", async () => {
    const out = join(tmp.dir, "ctx.kv");
    const tuned = await runBuiltKvcdn(["--debug", "generate", "--model", modelDir, "--context", LONG_TEXT.slice(0, 80), "-o", out, "--json"], {}, 60_000);
    expect(tuned.stderr).toContain("kvcdn: debug: C allocator: tuned");
    expect(tuned.code).toBe(0);
    expect(JSON.parse(tuned.stdout)).toMatchObject({ num_tokens: expect.any(Number) });
    expect(existsSync(out)).toBe(true);

    const optedOut = await runBuiltKvcdn(["--debug", "generate", "--model", modelDir, "--context", "a", "-o", join(tmp.dir, "b.kv")], { KVCDN_MALLOC_TUNING: "0" }, 60_000);
    expect(optedOut.stderr).toContain("kvcdn: debug: C allocator: default");
    expect(optedOut.code).toBe(0);

    const failed = await runBuiltKvcdn(["resume", "--model", modelDir, "--kv", join(tmp.dir, "missing.kv"), "--question", "q"], {}, 60_000);
    expect(failed.code).toBe(1);
    expect(failed.stderr.split("\n").filter(Boolean)).toEqual([expect.stringMatching(/^kvcdn: .*missing\.kv/)]);
  });

  it("pass a SIGTERM on to the child and end by that signal, leaving no child behind", async () => {
    const out = join(tmp.dir, "long.kv");
    expect((await runBuiltKvcdn(["generate", "--model", modelDir, "--context", LONG_TEXT.slice(0, 80), "-o", out], {}, 60_000)).code).toBe(0);
    const parent = spawn(process.execPath, [BUILT_CLI, "resume", "--model", modelDir, "--kv", out, "--question", " go", "-n", "30000", "--ignore-eos"], {
      env: { PATH: process.env["PATH"] ?? "", HOME: "/nonexistent" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => parent.on("exit", (code, signal) => resolve({ code, signal })));
    // Generated text on stdout: the child is running the model.
    await new Promise<void>((resolve) => parent.stdout.once("data", () => resolve()));
    const children = spawnSync("ps", ["-o", "pid=", "--ppid", String(parent.pid)], { encoding: "utf8" }).stdout.trim().split(/\s+/).filter(Boolean).map(Number);
    expect(children).toHaveLength(1);
    parent.kill("SIGTERM");
    expect(await exited).toEqual({ code: null, signal: "SIGTERM" });
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await vi.waitFor(() => expect(alive(children[0]!)).toBe(false), { timeout: 10_000 });
  });
});
