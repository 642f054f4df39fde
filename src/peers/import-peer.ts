import { MissingPeerError } from "../errors/compatibility-error.js";
import { isModuleNotFound } from "./is-module-not-found.js";

/** One load per peer per process; a failed load is forgotten so a later call (after an install) tries again. */
const loads = new Map<string, Promise<unknown>>();

/**
 * Load an optional peer dependency on first use (never at module load, so importing a kvcdn subpath stays light).
 * `load` is the literal `import("<name>")` (a literal, so bundlers keep it external); `pick` takes the part kvcdn
 * uses out of the namespace (CommonJS peers arrive under `default`) and returns `undefined` when it is not there.
 * @throws {MissingPeerError} when the peer is not installed or lacks what `pick` looks for.
 * @example const ort = await importPeer("onnxruntime-node", () => import("onnxruntime-node"), (m) => m)
 */
export function importPeer<T>(name: string, load: () => Promise<unknown>, pick: (namespace: unknown) => T | undefined): Promise<T> {
  let loading = loads.get(name) as Promise<T> | undefined;
  if (loading === undefined) {
    loading = load().then(
      (namespace) => {
        const picked = pick(namespace);
        if (picked === undefined) throw new MissingPeerError(name);
        return picked;
      },
      (e: unknown) => {
        throw isModuleNotFound(e, name) ? new MissingPeerError(name, { cause: e }) : e;
      },
    );
    loads.set(name, loading);
    loading.catch(() => loads.delete(name));
  }
  return loading;
}
