import { mkdir, stat } from "node:fs/promises";
import { basename, join, resolve, sep } from "node:path";
import { LocalFileError } from "../errors/index.js";

/** Longest file name we build from an artifact id (most file systems allow 255 bytes). */
const MAX_NAME_CHARS = 200;

/**
 * A file name for an artifact id that cannot escape its directory: only `[A-Za-z0-9._-]` survive (anything else,
 * path separators included, becomes `_`), no leading dots (no `..`, no hidden files), at most 200 characters, and
 * the `.kv` extension.
 * @example safeKvFileName("../../etc/passwd") // "etc_passwd.kv"
 */
export function safeKvFileName(id: string): string {
  let name = id.normalize("NFC").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "");
  name = name.slice(0, MAX_NAME_CHARS).replace(/[._]+$/, "");
  if (name === "") name = "artifact";
  return name.toLowerCase().endsWith(".kv") ? name : `${name}.kv`;
}

/**
 * Where a download goes. A `dest` that is an existing directory, or ends with a path separator (created if
 * missing), receives `<id>.kv` (made safe by {@link safeKvFileName}); any other `dest` is the file path itself.
 * @example await resolveDestination({ dest: "./caches/", id }) // "/abs/caches/<id>.kv"
 */
export async function resolveDestination(params: { dest: string; id: string | undefined }): Promise<string> {
  const { dest } = params;
  const isDirLike = dest.endsWith("/") || dest.endsWith(sep);
  let info = await stat(dest).catch(() => undefined);
  if (isDirLike && info === undefined) {
    // `-o caches/` names a directory: make it, as `cp x caches/` cannot but a download tool should.
    await mkdir(dest, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
      throw new LocalFileError(`Cannot create the destination directory ${dest}: ${e.message}`, dest, { cause: e, code: e.code ?? "EIO" });
    });
    info = await stat(dest);
  }
  if (isDirLike || info?.isDirectory()) {
    if (info === undefined) throw new LocalFileError(`Destination directory ${dest} does not exist`, dest, { code: "ENOENT" });
    if (!info.isDirectory()) throw new LocalFileError(`Destination ${dest} is not a directory`, dest, { code: "ENOTDIR" });
    const dir = resolve(dest);
    const file = join(dir, safeKvFileName(params.id ?? "artifact"));
    // Belt and braces: the sanitised name has no separator, but check the result really is inside the directory.
    if (resolve(file, "..") !== dir || basename(file) === "..") {
      throw new LocalFileError(`Refusing a file name that escapes ${dir}`, dest, { code: "EPERM" });
    }
    return file;
  }
  return resolve(dest);
}
