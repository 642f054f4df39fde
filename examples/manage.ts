/**
 * Manage artifacts: list, search, get, change visibility, check usage and delete.
 *
 *   npx tsx examples/manage.ts
 *
 * It uploads two small caches of its own (written with kvcdn/kv, no model needed) and deletes them at the end; the
 * rest of your artifacts are only listed.
 */
import { join } from "node:path";
import { NotFoundError, type Artifact } from "kvcdn";
import { allocKvArray, writeKv, type KvCache, type KvTensor } from "kvcdn/kv";
import { connect, scratchFolder } from "./setup.js";

const { client, close } = await connect();
const scratch = await scratchFolder();
const created: Artifact[] = [];
try {
  // Two stand-in caches: 2 layers of zeros, [1 batch, 2 KV heads, 8 tokens, head_dim 16], F16.
  const tensor = (): KvTensor => ({ dtype: "F16", shape: [1, 2, 8, 16], data: allocKvArray("F16", 2 * 8 * 16) });
  const cache: KvCache = { dtype: "F16", layers: [0, 1].map(() => ({ key: tensor(), value: tensor() })) };
  const samples = [
    { name: "Support playbook", description: "Answers for the refund and shipping desk" },
    { name: "Legal glossary", description: "Contract terms, prefilled for review" },
  ];
  for (const { name, description } of samples) {
    const { path } = await writeKv(join(scratch.dir, `${name}.kv`), cache, { sidecar: { model_name: "Qwen/Qwen3-0.6B" } });
    created.push(await client.upload(path, { name, description }));
  }

  // List every artifact the key can see: an async iterator over all pages.
  for await (const a of client.list()) console.log(`${a.id}  ${a.name}  ${a.model_name}  ${a.size_bytes} B  ${a.visibility}`);

  // Search by name, model or description, and filter by model or visibility.
  const hits = await client.listAll({ query: "refund", model: "Qwen/Qwen3-0.6B" });
  console.log(`search "refund": ${hits.map((a) => a.name).join(", ")}`);

  // Make one public: anyone can now download it from its CDN URL.
  const shared = await client.setVisibility(created[0]!.id, "public");
  console.log(`${shared.name} is ${shared.visibility}: ${shared.public_url ?? "(no CDN URL reported)"}`);

  // Storage usage against the plan's quota, and who the key belongs to.
  const usage = await client.usage();
  console.log(`using ${usage.used_bytes} of ${usage.quota_bytes ?? "unlimited"} bytes, ${usage.artifact_count} of ${usage.artifact_limit ?? "unlimited"} artifacts`);
  console.log("key:", await client.whoami());
} finally {
  // Delete what this example created; a deleted id is a NotFoundError from then on.
  for (const a of created) await client.delete(a.id);
  if (created[0]) await client.get(created[0].id).catch((e) => console.log(`after delete: ${e instanceof NotFoundError ? "not found" : e}`));
  await scratch.remove();
  await close();
}
