import { MissingPeerError } from "../errors/compatibility-error.js";

/** The `onnxruntime-node` module namespace. */
export type OnnxRuntime = typeof import("onnxruntime-node");

let ortPromise: Promise<OnnxRuntime> | undefined;

/**
 * Load the optional peer `onnxruntime-node` on first use (never at module load, so `import "kvcdn/onnx"` stays light).
 * @throws {MissingPeerError} when it is not installed.
 * @example const ort = await importOnnxRuntime(); const t = new ort.Tensor("float32", new Float32Array(4), [1, 4]);
 */
export async function importOnnxRuntime(): Promise<OnnxRuntime> {
  ortPromise ??= import("onnxruntime-node").then(
    (m) => ((m as { default?: OnnxRuntime }).default?.InferenceSession ? (m as { default: OnnxRuntime }).default : m),
    (e: unknown) => {
      ortPromise = undefined;
      throw isModuleNotFound(e, "onnxruntime-node") ? new MissingPeerError("onnxruntime-node", { cause: e }) : e;
    },
  );
  return ortPromise;
}

/** True when `e` says that `pkg` itself (not one of its files) could not be resolved. */
export function isModuleNotFound(e: unknown, pkg: string): boolean {
  const err = e as { code?: unknown; message?: unknown };
  return (
    (err?.code === "ERR_MODULE_NOT_FOUND" || err?.code === "MODULE_NOT_FOUND") &&
    typeof err.message === "string" &&
    err.message.includes(pkg)
  );
}
