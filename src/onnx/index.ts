/** `kvcdn/onnx` entry. */
export { VERSION } from "../version.js";
