import { describe, expect, it } from "vitest";
import * as errors from "../../src/errors/index.js";
import * as localStore from "../../src/local-store/index.js";
import * as testing from "../../src/testing/index.js";

const modules = { errors, localStore, testing } as Record<string, Record<string, unknown>>;

/** Every exported class deriving from KvcdnError, with the module exporting it. */
function errorClasses(): Array<[string, new (...args: never[]) => Error, Record<string, unknown>]> {
  const out: Array<[string, new (...args: never[]) => Error, Record<string, unknown>]> = [];
  for (const mod of Object.values(modules)) {
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value === "function" && (value === errors.KvcdnError || value.prototype instanceof errors.KvcdnError)) {
        out.push([name, value as new (...args: never[]) => Error, mod]);
      }
    }
  }
  return out;
}

describe("error guards", () => {
  it("finds the error classes of src/errors, the local store and the fixtures", () => {
    const names = errorClasses().map(([n]) => n);
    expect(names).toEqual(expect.arrayContaining(["LocalFileError", "FileTooLargeError", "CompatibilityError", "ModelFolderError", "MissingPeerError", "CacheInputError", "LocalStoreError", "FixtureModelError"]));
    expect(names.length).toBeGreaterThanOrEqual(25);
  });

  it.each(errorClasses().map(([name, cls, mod]) => ({ name, cls, mod })))(
    "$name has a guard exported beside it that recognises it, also as a copy from another package instance",
    ({ name, cls, mod }) => {
      const guard = mod[`is${name}`] as ((e: unknown) => boolean) | undefined;
      expect(typeof guard, `is${name} is exported beside ${name}`).toBe("function");
      // An instance without running a constructor (their parameters differ), and a structural twin as another copy
      // of the package or another realm would throw it: same own name and brand getters, other prototype.
      const instance = Object.assign(Object.create(cls.prototype) as Error, { name });
      expect(guard!(instance)).toBe(true);
      const brands = Object.fromEntries(["isKvcdnError", "isHttpError"].filter((k) => k in instance).map((k) => [k, true]));
      expect(guard!({ name, message: "x", ...brands })).toBe(true);
      expect(guard!({ name, message: "x" })).toBe(false);
      expect(guard!(new Error("x"))).toBe(false);
    },
  );
});
