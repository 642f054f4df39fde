import { ModelFolderError } from "../errors/compatibility-error.js";

/**
 * Parse one JSON file of a model folder that must hold an object (`config.json`, `tokenizer.json`, …).
 * @throws {ModelFolderError} when the bytes are not JSON, or not an object.
 * @example const config = parseJsonObject(await readFile(join(dir, "config.json")), dir, "config.json");
 */
export function parseJsonObject(bytes: Buffer, dir: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new ModelFolderError(`${file} in ${dir} is not valid JSON: ${(e as Error).message}`, dir, [], { cause: e });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ModelFolderError(`${file} in ${dir} is not a JSON object`, dir);
  }
  return value as Record<string, unknown>;
}
