// openapi.yaml is the HTTP contract: it must be valid OpenAPI 3.1, and the committed types must be generated from it.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";

// Starts and kills child processes (a store, the built CLI): slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const root = fileURLToPath(new URL("../../", import.meta.url));
const specPath = join(root, "openapi.yaml");
const spec = parse(readFileSync(specPath, "utf8")) as {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string }>>;
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }> };
};
const scratch = mkdtempSync(join(tmpdir(), "kvcdn-openapi-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("openapi.yaml", () => {
  it("validates as OpenAPI 3.1", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(spec) as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("describes every operation the client and the product documents use", () => {
    const operations = Object.values(spec.paths).flatMap((item) => Object.values(item).map((op) => op.operationId)).filter(Boolean);
    expect(operations).toEqual(
      expect.arrayContaining([
        "createUploadUrl",
        "confirmUpload",
        "createDownloadUrl",
        "listArtifacts",
        "getArtifact",
        "updateArtifact",
        "deleteArtifact",
        "getUsage",
        "getQuota",
        "verifyApiKey",
        "presignedPut",
        "presignedGet",
        "getPublicArtifact",
      ]),
    );
  });

  it("has the full Artifact schema", () => {
    const artifact = spec.components.schemas["Artifact"];
    const fields = ["id", "name", "description", "model_name", "dtype", "storage_dtype", "num_tokens", "num_layers", "quantized", "size_bytes", "checksum", "status", "visibility", "org_slug", "project_slug", "public_url", "created_at", "updated_at"];
    expect(Object.keys(artifact?.properties ?? {})).toEqual(expect.arrayContaining(fields));
  });

  it("src/generated/schema.d.ts is what `npm run gen:api` produces (not stale)", async () => {
    const out = join(scratch, "schema.d.ts");
    const cli = join(root, "node_modules", "openapi-typescript", "bin", "cli.js");
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, [cli, "openapi.yaml", "-o", out], { cwd: root, timeout: 60_000 }, (error) => (error ? reject(error) : resolve())),
    );
    const fresh = readFileSync(out, "utf8");
    const committed = readFileSync(join(root, "src", "generated", "schema.d.ts"), "utf8");
    // A mismatch means openapi.yaml changed without `npm run gen:api`.
    expect(committed === fresh, "src/generated/schema.d.ts is stale: run `npm run gen:api`").toBe(true);
  });
});
