/** `kvcdn/transformers` entry. */
export { VERSION } from "../version.js";
