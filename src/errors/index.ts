export { KvcdnError, isKvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";
