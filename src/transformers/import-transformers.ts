import { MissingPeerError } from "../errors/compatibility-error.js";
import { isModuleNotFound } from "../onnx/import-onnxruntime.js";

/** The `@huggingface/transformers` module namespace. */
export type TransformersJs = typeof import("@huggingface/transformers");

let transformersPromise: Promise<TransformersJs> | undefined;

/**
 * Load the optional peer `@huggingface/transformers` on first use, with remote model downloads turned off: kvcdn
 * only ever loads model folders from disk.
 * @throws {MissingPeerError} when it is not installed.
 * @example const { AutoTokenizer } = await importTransformers();
 */
export async function importTransformers(): Promise<TransformersJs> {
  transformersPromise ??= import("@huggingface/transformers").then(
    (m) => {
      m.env.allowRemoteModels = false;
      m.env.allowLocalModels = true;
      return m;
    },
    (e: unknown) => {
      transformersPromise = undefined;
      throw isModuleNotFound(e, "@huggingface/transformers")
        ? new MissingPeerError("@huggingface/transformers", { cause: e })
        : e;
    },
  );
  return transformersPromise;
}
