// A local store in its own process, for kill -9 tests: prints one JSON line (url, apiKey) once listening.
import { startLocalStore } from "../../../src/local-store/index.js";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: store-process.ts DATA_DIR");
const store = await startLocalStore({ dataDir, artifactLimit: null });
process.stdout.write(`${JSON.stringify({ url: store.url, apiKey: store.apiKey })}\n`);
process.on("SIGTERM", () => void store.close().then(() => process.exit(0)));
