// Child process of test/kv/crash.test.ts: writes `<dir>/ctx.kv` with writeKv and kills itself with SIGKILL right
// after the N-th rename the process performs (N = 0: just before the first one), a real crash at that point.
import fsPromises from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import { writeKv } from "../../../src/kv/index.js";
import { crashCache } from "./crash-cache.js";

const [dir, at, cliCompatible] = process.argv.slice(2) as [string, string, string];
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

await writeKv(join(dir, "ctx.kv"), crashCache(2), { sidecar: { model_name: "new" }, cliCompatible: cliCompatible === "cli" });
process.stdout.write(`done after ${renames} renames\n`);
