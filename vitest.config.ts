import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores here: forks keep onnxruntime and the local store's servers isolated per file.
    pool: "forks",
  },
});
