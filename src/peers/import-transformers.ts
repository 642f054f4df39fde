import { importPeer } from "./import-peer.js";

/** The `@huggingface/transformers` module namespace. */
export type TransformersJs = typeof import("@huggingface/transformers");

/**
 * Load the optional peer `@huggingface/transformers` on first use. Its global `env` is left alone: every kvcdn load
 * passes an absolute folder and `local_files_only: true`, which transformers.js treats like
 * `env.allowRemoteModels = false` for that call (`utils/hub.js`), so nothing is ever fetched.
 * @throws {MissingPeerError} when it is not installed.
 * @example const { AutoTokenizer } = await importTransformers();
 */
export function importTransformers(): Promise<TransformersJs> {
  return importPeer("@huggingface/transformers", () => import("@huggingface/transformers"), (m) => m as TransformersJs);
}
