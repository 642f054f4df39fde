import { MissingPeerError } from "../errors/compatibility-error.js";
import { isModuleNotFound } from "../onnx/import-onnxruntime.js";

/** The `@huggingface/transformers` module namespace. */
export type TransformersJs = typeof import("@huggingface/transformers");

let transformersPromise: Promise<TransformersJs> | undefined;

/**
 * Load the optional peer `@huggingface/transformers` on first use. Its global `env` is left alone: every kvcdn load
 * passes an absolute folder and `local_files_only: true`, which transformers.js treats like
 * `env.allowRemoteModels = false` for that call (`utils/hub.js`), so nothing is ever fetched.
 * @throws {MissingPeerError} when it is not installed.
 * @example const { AutoTokenizer } = await importTransformers();
 */
export async function importTransformers(): Promise<TransformersJs> {
  transformersPromise ??= import("@huggingface/transformers").then(
    (m) => m,
    (e: unknown) => {
      transformersPromise = undefined;
      throw isModuleNotFound(e, "@huggingface/transformers")
        ? new MissingPeerError("@huggingface/transformers", { cause: e })
        : e;
    },
  );
  return transformersPromise;
}
