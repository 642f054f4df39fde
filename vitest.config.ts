import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds dist/ once per run (skipped when it matches the sources) for the tests of the bin and the package.
    globalSetup: ["test/global-setup.ts"],
    // A sane default for unit-sized tests; files that run models, child processes or npm set their own
    // (`vi.setConfig` at the top of the file, or `describe(…, { timeout })`).
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores here: forks keep onnxruntime and the local store's servers isolated per file.
    pool: "forks",
  },
});
