import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStore, type LocalStore } from "../../src/local-store/index.js";
import { call, randomBlob, uploadReady } from "./support/store-client.js";

let full: LocalStore;
let deployed: LocalStore;
beforeAll(async () => {
  full = await startLocalStore({});
  deployed = await startLocalStore({ dropMetadata: true });
});
afterAll(async () => {
  await full.close();
  await deployed.close();
});

const extra = { description: "a searchable description", metadata: { name: "from metadata", shard: { group_id: "g", index: 0, count: 2, layer_start: 0, layer_end: 1 } } };

describe("dropMetadata: the deployed backend's behaviour", () => {
  it("keeps metadata and description by default", async () => {
    const a = await uploadReady(full, full.apiKey, randomBlob(64), extra);
    const listed = (await call(full, "GET", "/api/v1/artifacts", { key: full.apiKey })).body.artifacts.find((x: { id: string }) => x.id === a.id);
    expect(listed).toMatchObject({ name: "test cache", description: "a searchable description", metadata: { shard: { group_id: "g" } } });
  });

  it("discards metadata and description but keeps the name", async () => {
    const a = await uploadReady(deployed, deployed.apiKey, randomBlob(64), extra);
    for (const body of [
      (await call(deployed, "GET", "/api/v1/artifacts", { key: deployed.apiKey })).body.artifacts.find((x: { id: string }) => x.id === a.id),
      (await call(deployed, "GET", `/api/v1/artifacts/${a.id}`, { key: deployed.apiKey })).body,
    ]) {
      expect(body).toMatchObject({ name: "test cache", description: null });
      expect(body.metadata ?? {}).toEqual({});
    }
  });
});
