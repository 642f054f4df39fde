import { KvcdnError } from "../errors/kvcdn-error.js";

/**
 * Check an artifact id and percent-encode it as one path segment (docs/service-contract.md#urls-and-artifact-ids):
 * `a/b` becomes `a%2Fb`. Empty ids and the dot segments `.` / `..` (which URL parsing would collapse into another
 * route) are refused.
 * @example encodeArtifactId("8d0f…") // → "8d0f…"
 */
export function encodeArtifactId(id: string): string {
  if (typeof id !== "string" || id.trim() === "") {
    throw new KvcdnError("an artifact id is required", { code: "invalid_argument" });
  }
  if (id === "." || id === ".." || /^(%2e|\.){1,2}$/i.test(id)) {
    throw new KvcdnError(`invalid artifact id ${JSON.stringify(id)}`, { code: "invalid_argument" });
  }
  return encodeURIComponent(id);
}

/** True when a 404/405 means the route itself is missing (`Route GET:/… not found`), not the artifact. */
export function isMissingRoute(error: { status?: unknown; body?: unknown; message?: unknown }): boolean {
  if (error.status === 405) return true;
  if (error.status !== 404) return false;
  const body = error.body;
  const text =
    typeof body === "string"
      ? body
      : typeof body === "object" && body !== null
        ? `${String((body as { message?: unknown }).message ?? "")} ${String((body as { error?: unknown }).error ?? "")}`
        : "";
  return /\broute\b[^]*\bnot found\b/i.test(text);
}
