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
  { entry, format: ["cjs"], dts: true, sourcemap: true, target: "node20" },
  {
    entry: { cli: "src/cli.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
  },
]);
