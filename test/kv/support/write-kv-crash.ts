// Child process of the crash tests: writes `<dir>/ctx.kv` (with writeKv, or by downloading an artifact) and kills
// itself with SIGKILL right after the N-th rename the process performs (N = 0: just before the first one), a real
// crash at that point.
import fsPromises from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import { writeKv } from "../../../src/kv/index.js";
import { crashCache } from "./crash-cache.js";

const [dir, at, mode, apiUrl, id] = process.argv.slice(2) as [string, string, string, string?, string?];
const crashAt = Number(at);
let renames = 0;
const realRename = fsPromises.rename;
const die = (): never => {
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable");
};
fsPromises.rename = async (from, to) => {
  if (crashAt === 0) die();
  await realRename(from, to);
  if (++renames === crashAt) die();
};
// Let `import { rename } from "node:fs/promises"` in the code under test see the patched function.
syncBuiltinESMExports();

if (mode === "download") {
  const { createKvcdnClient } = await import("../../../src/client/index.js");
  const client = createKvcdnClient({ apiUrl, apiKey: process.env["KVCDN_API_KEY"], env: {}, configPath: false });
  await client.download(id as string, join(dir, "ctx.kv"));
} else {
  await writeKv(join(dir, "ctx.kv"), crashCache(2), { sidecar: { model_name: "new" }, cliCompatible: mode === "cli" });
}
process.stdout.write(`done after ${renames} renames\n`);
