// The public surface of every package entry, pinned: a name added to or removed from an entry fails here until the
// list below is updated, so a change to what users can import is always deliberate. Names that only tests need are
// imported from their src/ modules instead of being exported. Also checks that every exported name has JSDoc.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** Runtime names of each entry, sorted. Update deliberately (and the README when a user-facing name changes). */
const EXPORTS: Record<string, string[]> = {
  ".": [
    "AbortError", "AuthError", "CacheInputError", "CacheMissError", "CompatibilityError", "ConfigError",
    "ConflictError", "DEFAULT_API_URL", "DEFAULT_CDN_URL", "FileTooLargeError", "ForbiddenError", "HttpError",
    "IntegrityError", "KvFormatError", "KvcdnClient", "KvcdnError", "LocalFileError", "MAX_SINGLE_PUT_BYTES",
    "MissingPeerError", "ModelFolderError", "NetworkError", "NotFoundError", "ORPHAN_GRACE_MS",
    "PayloadTooLargeError", "PresignedUrlError", "QuotaExceededError", "RateLimitError", "ServerError",
    "ShardGroupError", "TimeoutError", "VERSION", "ValidationError", "createApiError", "createKvcdnClient",
    "defaultCacheDir", "defaultConfigPath", "defaultLogger", "downloadArtifact", "downloadArtifactEvents",
    "downloadMany", "fetchCache", "hashFile", "isAbortError", "isAuthError", "isCacheInputError",
    "isCacheMissError", "isCompatibilityError", "isConfigError", "isConflictError", "isFileTooLargeError",
    "isForbiddenError", "isHttpError", "isIntegrityError", "isKvFormatError", "isKvcdnError", "isLocalFileError",
    "isMissingPeerError", "isModelFolderError", "isNetworkError", "isNotFoundError", "isPayloadTooLargeError",
    "isPresignedUrlError", "isQuotaExceededError", "isRateLimitError", "isServerError", "isShardGroup",
    "isShardGroupError", "isTimeoutError", "isValidationError", "listCachedKv", "parseS3Error", "pruneCache",
    "redact", "removeCachedKv", "resolveConfig", "silentLogger", "transferEvents", "uploadArtifact",
    "uploadArtifactEvents", "uploadMany",
  ],
  "./kv": [
    "CLI_SIDECAR_FIELDS", "KvFormatError", "SAFETENSORS_DTYPES", "SIDECAR_EXTENSION_FIELDS", "VERSION",
    "allocKvArray", "bf16ToF32", "castKv", "concatTokens", "convertKvFile", "decodeKv", "dequantizeKv",
    "encodeSafetensors", "ensureKvExtension", "f16ToF32", "f32ToBf16", "f32ToF16", "formatSidecar", "fromBf16Bits",
    "fromF16Bits", "inspectKv", "isKvDtype", "isKvFormatError", "isSafetensorsDtype", "isVerified",
    "openSafetensors", "parseQuantTarget", "parseSafetensors", "parseSidecar", "quantizeKv", "quantizeKvFile",
    "readKv", "readKvMetadata", "readSafetensors", "readSafetensorsHeader", "readSidecar", "readVerification",
    "recordVerification", "sidecarPath", "sliceTokens", "toBf16Bits", "toF16Bits", "validateKvCache",
    "validateQuantizedKv", "verificationRecordPath", "writeKv", "writeSafetensors", "writeSidecar",
  ],
  "./onnx": [
    "CacheInputError", "CompatibilityError", "DEFAULT_PREFILL_CHUNK_TOKENS", "DEFAULT_VERIFY_QUESTION",
    "FINGERPRINT_FIELDS", "GenerationStream", "MODEL_MALLOC_TUNABLES", "MissingPeerError", "ModelFolderError", "ONNX_FILE_SUFFIX",
    "PreparedCache", "VERSION", "argmax", "castForModel", "checkCompatibility", "compatibilityOptions", "createRng",
    "createSampler", "describeGraph", "emptyPast", "fingerprintDtype", "importOnnxRuntime", "isCacheInputError",
    "isCompatibilityError", "isKvRef", "isMissingPeerError", "isModelDtype", "isModelFolderError", "kvDtypeFor",
    "kvToPast", "loadKvSource", "loadModel", "loadTokenizer", "longestCommonPrefix", "mallocTuning", "onnxFileForDtype", "pastToKv",
    "prepareCache", "produceCache", "readModelFolder", "resumeFromCache", "resumeFromPrefix", "reusablePrefix",
    "runForward", "runPrefill", "searchCaches", "verifyCache",
  ],
  "./transformers": [
    "CacheInputError", "CompatibilityError", "MissingPeerError", "ModelFolderError", "VERSION",
    "describeTransformersModel", "generateFromCache", "importTransformers", "isCacheInputError",
    "isCompatibilityError", "isMissingPeerError", "isModelFolderError", "kvToDynamicCache", "loadTransformersModel",
    "pastTensorType", "presentToKv",
  ],
  "./local-store": [
    "API_OPERATIONS", "CLI_DEFAULT_PORT", "DEFAULT_QUOTA_BYTES", "DEV_ORG_SLUG", "DEV_PROJECT_SLUG",
    "FREE_PLAN_ARTIFACT_LIMIT", "LocalStoreError", "MAX_JSON_BODY_BYTES", "MAX_SINGLE_PUT_BYTES",
    "PRESIGNED_URL_TTL_MS", "VERSION", "defaultStoreDir", "isLocalStoreError", "startLocalStore",
  ],
  "./testing": [
    "BUILDER_VARIANTS", "EXTERNAL_DATA_THRESHOLD_BYTES", "FIXTURE_GENERATOR_VERSION", "FIXTURE_SHAPES",
    "FixtureModelError", "Q4_BLOCK_SIZE", "QWEN3_SPECIAL_IDS", "ROTARY_MODES", "VERSION", "builderReferenceModel",
    "createFixtureModel", "defaultFixtureCacheDir", "dequantizeQ4", "ensureFixtureModel", "isFixtureModelError",
    "isFloat16Variant", "isQ4Variant", "loadReferenceQwen3", "quantizeQ4", "referenceQwen3Forward",
    "resolveFixtureShape", "variantOnnxFile",
  ],
};

/** The source file behind each entry (tsup.config.ts). */
const SOURCES: Record<string, string> = {
  ".": "src/index.ts",
  "./kv": "src/kv/index.ts",
  "./onnx": "src/onnx/index.ts",
  "./transformers": "src/transformers/index.ts",
  "./local-store": "src/local-store/index.ts",
  "./testing": "src/testing/index.ts",
};

const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
  exports: Record<string, string | { import: { default: string }; require: { default: string } }>;
};
const entries = Object.keys(pkg.exports).filter((k) => k !== "./package.json");

describe("package entries", () => {
  it("are exactly the pinned ones", () => {
    expect(entries.sort()).toEqual(Object.keys(EXPORTS).sort());
  });

  for (const entry of Object.keys(EXPORTS)) {
    describe(entry, () => {
      const target = pkg.exports[entry] as { import: { default: string }; require: { default: string } };

      it("exports the pinned runtime names from its source", async () => {
        const mod = (await import(pathToFileURL(join(REPO, SOURCES[entry]!)).href)) as object;
        expect(Object.keys(mod).sort()).toEqual(EXPORTS[entry]);
      });

      it("exports the same names from the built ESM and CJS files", async () => {
        const esm = join(REPO, target.import.default);
        const cjs = join(REPO, target.require.default);
        expect(existsSync(esm) && existsSync(cjs), "dist/ is built by the global setup").toBe(true);
        const fromEsm = (await import(pathToFileURL(esm).href)) as object;
        const fromCjs = createRequire(import.meta.url)(cjs) as object;
        expect(Object.keys(fromEsm).sort()).toEqual(EXPORTS[entry]);
        expect(Object.keys(fromCjs).sort()).toEqual(EXPORTS[entry]);
      });
    });
  }
});

describe("exported names", () => {
  it("each have JSDoc where they are declared", () => {
    const program = ts.createProgram(
      Object.values(SOURCES).map((f) => join(REPO, f)),
      {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        noEmit: true,
        skipLibCheck: true,
      },
    );
    const checker = program.getTypeChecker();
    const undocumented: string[] = [];
    for (const [entry, file] of Object.entries(SOURCES)) {
      const source = program.getSourceFile(join(REPO, file));
      const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
      expect(moduleSymbol, file).toBeDefined();
      for (const symbol of checker.getExportsOfModule(moduleSymbol!)) {
        if (!EXPORTS[entry]!.includes(symbol.name)) continue; // types: documented or not, they are not pinned here
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        const doc = ts.displayPartsToString(target.getDocumentationComment(checker)).trim();
        if (doc === "") undocumented.push(`${entry} ${symbol.name}`);
      }
    }
    expect(undocumented).toEqual([]);
  }, 60_000); // a type-checker over every entry's sources: about 10 s here
});
