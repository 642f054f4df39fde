/** `kvcdn/testing` entry. */
export { VERSION } from "../version.js";
