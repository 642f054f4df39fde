import { describe, expect, expectTypeOf, it } from "vitest";
import type { operations } from "../../src/generated/schema.js";
import * as localStore from "../../src/local-store/index.js";
import { API_OPERATIONS, startLocalStore, type ApiOperation, type Fault, type LocalStore, type LocalStoreOptions } from "../../src/local-store/index.js";

describe("kvcdn/local-store public API", () => {
  it("exports the server, its error, constants and the operation list", () => {
    expect(Object.keys(localStore).sort()).toEqual([
      "API_OPERATIONS", "CLI_DEFAULT_PORT", "DEFAULT_QUOTA_BYTES", "DEV_ORG_SLUG", "DEV_PROJECT_SLUG", "FREE_PLAN_ARTIFACT_LIMIT",
      "LocalStoreError", "MAX_JSON_BODY_BYTES", "MAX_SINGLE_PUT_BYTES", "PRESIGNED_URL_TTL_MS", "VERSION", "defaultStoreDir", "isLocalStoreError", "startLocalStore",
    ]);
    expect(localStore.MAX_SINGLE_PUT_BYTES).toBe(5 * 2 ** 30);
    expect(localStore.PRESIGNED_URL_TTL_MS).toBe(15 * 60 * 1000);
  });

  it("has typed signatures", () => {
    expectTypeOf(startLocalStore).parameter(0).toEqualTypeOf<LocalStoreOptions | undefined>();
    expectTypeOf(startLocalStore).returns.resolves.toEqualTypeOf<LocalStore>();
    expectTypeOf<LocalStore["faults"]["inject"]>().parameter(0).toEqualTypeOf<Fault>();
    // Every fault target named after an API operation is a real operationId of openapi.yaml.
    expectTypeOf<ApiOperation>().toMatchTypeOf<keyof operations>();
    expect(API_OPERATIONS).toHaveLength(12);
  });

  it("rejects bad options with a LocalStoreError", async () => {
    await expect(startLocalStore({ port: 70000 })).rejects.toBeInstanceOf(localStore.LocalStoreError);
    await expect(startLocalStore({ presignTtlMs: 10 })).rejects.toThrow(/presignTtlMs/);
    await expect(startLocalStore({ apiKeys: [{ key: "short", org: "a", project: "b" }] })).rejects.toThrow(/API key/);
    await expect(startLocalStore({ apiKeys: [{ key: "kv_long_enough", org: "Bad Org", project: "b" }] })).rejects.toThrow(/slug/);
  });
});
