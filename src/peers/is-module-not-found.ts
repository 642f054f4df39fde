/**
 * True when `e` says that `pkg` itself (not one of its files, nor one of its own dependencies) could not be resolved:
 * only then is the peer "not installed"; a peer that is installed but broken keeps its own error.
 * @example isModuleNotFound(e, "onnxruntime-node")
 */
export function isModuleNotFound(e: unknown, pkg: string): boolean {
  const err = e as { code?: unknown; message?: unknown };
  return (
    (err?.code === "ERR_MODULE_NOT_FOUND" || err?.code === "MODULE_NOT_FOUND") &&
    typeof err.message === "string" &&
    err.message.includes(pkg)
  );
}
