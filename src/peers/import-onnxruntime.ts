import { importPeer } from "./import-peer.js";

/** The `onnxruntime-node` module namespace. */
export type OnnxRuntime = typeof import("onnxruntime-node");

/**
 * Load the optional peer `onnxruntime-node` on first use (never at module load, so `import "kvcdn/onnx"` stays light).
 * @throws {MissingPeerError} when it is not installed.
 * @example const ort = await importOnnxRuntime(); const t = new ort.Tensor("float32", new Float32Array(4), [1, 4]);
 */
export function importOnnxRuntime(): Promise<OnnxRuntime> {
  return importPeer("onnxruntime-node", () => import("onnxruntime-node"), (m) => {
    // The CommonJS build of kvcdn gets the namespace under `default`.
    const namespace = m as OnnxRuntime & { default?: OnnxRuntime };
    return namespace.default?.InferenceSession ? namespace.default : namespace;
  });
}
