import type { Artifact } from "../client/artifact.js";
import { formatBytes } from "./format-bytes.js";
import { formatTable } from "./format-table.js";

const dash = (v: unknown): string => (v === null || v === undefined || v === "" ? "-" : String(v));

/** One artifact as `label: value` lines (`kvcdn get`). */
export function formatArtifact(a: Artifact): string {
  const dtype =
    a.dtype === null ? "-" : `${a.dtype}${a.quantized === true ? ` (quantized, stored as ${a.storage_dtype ?? "U8"})` : ""}`;
  const rows: Array<[string, string]> = [
    ["id", a.id],
    ["name", a.name],
    ["model", dash(a.model_name)],
    ["description", dash(a.description)],
    ["dtype", dtype],
    ["tokens", dash(a.num_tokens)],
    ["layers", dash(a.num_layers)],
    ["size", a.size_bytes === null ? "-" : `${formatBytes(a.size_bytes)} (${a.size_bytes} bytes)`],
    ["sha256", dash(a.checksum)],
    ["status", dash(a.status)],
    ["visibility", a.visibility],
    ["org/project", a.org_slug === null && a.project_slug === null ? "-" : `${dash(a.org_slug)}/${dash(a.project_slug)}`],
    ["public url", dash(a.public_url)],
    ["created", dash(a.created_at)],
    ["updated", dash(a.updated_at)],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(13)}${v}`).join("\n");
}

/** Artifacts as a compact table (`kvcdn list`). */
export function formatArtifactTable(artifacts: readonly Artifact[]): string {
  if (artifacts.length === 0) return "no artifacts";
  return formatTable(
    ["ID", "NAME", "MODEL", "TOKENS", "SIZE", "VISIBILITY", "STATUS"],
    artifacts.map((a) => [
      a.id,
      a.name,
      dash(a.model_name),
      dash(a.num_tokens),
      a.size_bytes === null ? "-" : formatBytes(a.size_bytes),
      a.visibility,
      dash(a.status),
    ]),
  );
}
