// The public entry, as a consumer imports it, plus one internal helper for the peer-detection test.
export * from "../../src/onnx/index.js";
export { isModuleNotFound as isModuleNotFoundForTest } from "../../src/peers/is-module-not-found.js";
