// Run by concurrency.test.ts in a separate process: fetch one reference through the cache directory and print the result.
import { fetchCache } from "../../src/index.js";

const [ref, cacheDir] = process.argv.slice(2);
const result = await fetchCache(ref as string, { cacheDir: cacheDir as string });
process.stdout.write(`${JSON.stringify(result)}\n`);
