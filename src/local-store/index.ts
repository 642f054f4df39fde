/** `kvcdn/local-store` entry. */
export { VERSION } from "../version.js";
