/** `kvcdn/kv` entry. */
export { VERSION } from "../version.js";
