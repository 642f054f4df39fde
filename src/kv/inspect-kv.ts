import { sha256File } from "../util/sha256-file.js";
import { openForRead } from "./fs/local-file.js";
import { kvLayout } from "./kv-layout.js";
import { checkSidecarAgainstFile, headerMetadata } from "./kv-metadata.js";
import type { SafetensorsDtype } from "./safetensors/dtype.js";
import { readHeaderFrom, withPath } from "./safetensors/read-safetensors-header.js";
import { readSidecar } from "./sidecar.js";

/** What `kvcdn inspect --json` prints. */
export interface KvInspection {
  model_name: string;
  num_layers: number;
  num_tokens: number;
  dtype: string;
  storage_dtype: string | null;
  quantized: boolean;
  nbytes: number;
  /** From the sidecar, or computed with `sha256: true`; null otherwise. */
  sha256: string | null;
  /** Every tensor in file order. */
  tensors: Array<{ name: string; dtype: SafetensorsDtype; shape: number[] }>;
}

/**
 * Describe a `.kv` file from its header and sidecar only (tensor data is not read unless `sha256: true`). The layout
 * is validated and the sidecar checked against it.
 * @example const info = await inspectKv("ctx.kv")
 */
export async function inspectKv(path: string, options: { /** Hash the file when the sidecar has no sha256. @default false */ sha256?: boolean } = {}): Promise<KvInspection> {
  const sidecar = await readSidecar(path);
  const handle = await openForRead(path);
  let header;
  try {
    header = await readHeaderFrom(handle, path);
  } finally {
    await handle.close();
  }
  const h = header;
  const meta = await withPath(path, async () => {
    const layout = kvLayout(h);
    if (sidecar !== undefined) checkSidecarAgainstFile(sidecar, layout, h.fileSize, path);
    return sidecar ?? headerMetadata(layout, h.fileSize);
  });
  let sha256 = meta.sha256 ?? null;
  if (sha256 === null && options.sha256 === true) {
    sha256 = (await sha256File(path)).sha256;
  }
  return {
    model_name: meta.model_name,
    num_layers: meta.num_layers,
    num_tokens: meta.num_tokens,
    dtype: meta.dtype,
    storage_dtype: meta.storage_dtype,
    quantized: meta.quantized,
    nbytes: meta.nbytes,
    sha256,
    tensors: [...h.tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
  };
}
