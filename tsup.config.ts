import { defineConfig } from "tsup";

/** Library entries: one per subpath export in package.json. */
const entry = {
  index: "src/index.ts",
  kv: "src/kv/index.ts",
  onnx: "src/onnx/index.ts",
  transformers: "src/transformers/index.ts",
  "local-store": "src/local-store/index.ts",
  testing: "src/testing/index.ts",
};

export default defineConfig([
  { entry, format: ["esm"], dts: true, clean: true, sourcemap: true, target: "node20", splitting: true },
  // `splitting` puts what several entries share (the error classes first of all) in chunks they all require, so
  // `instanceof` holds across subpaths, as in the ESM build; without it each CJS entry bundled its own copy of every class.
  { entry, format: ["cjs"], dts: true, sourcemap: true, target: "node20", splitting: true },
  {
    entry: { cli: "src/cli.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
  },
]);
