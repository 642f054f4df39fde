import { KvFormatError } from "../errors/index.js";
import { kvLayout } from "../kv/kv-layout.js";
import { readSafetensorsHeader } from "../kv/safetensors/read-safetensors-header.js";
import type { SafetensorsHeader } from "../kv/safetensors/types.js";

/**
 * Read the `.kv` header of downloaded bytes (still under their temporary name): the safetensors header parses, its
 * offsets cover the file exactly, and it holds KV tensors. With `required` (nothing verified the bytes against a
 * checksum) anything else is refused with a {@link KvFormatError} that says what the server sent instead, e.g. the
 * JSON or HTML page a wrong URL or a proxy answers; otherwise (verified bytes that are simply not a `.kv`) the result
 * is undefined.
 * @example const header = await checkDownloadedKv(tempPath, { required: !verified, source: "https://cdn/…", contentType })
 */
export async function checkDownloadedKv(
  path: string,
  params: { required: boolean; source: string; contentType?: string | null | undefined },
): Promise<SafetensorsHeader | undefined> {
  try {
    const header = await readSafetensorsHeader(path);
    kvLayout(header);
    return header;
  } catch (e) {
    if (!params.required || !(e instanceof KvFormatError)) {
      if (e instanceof KvFormatError) return undefined;
      throw e;
    }
    const type = params.contentType?.split(";")[0]?.trim();
    const what = type !== undefined && type !== "" && type !== "application/octet-stream" ? `a ${type} response` : "something";
    throw new KvFormatError(`${params.source} sent ${what} that is not a .kv file (${e.message}); nothing was saved`, { code: e.code, cause: e });
  }
}
