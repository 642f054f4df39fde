/**
 * The most specific reason a fetch failed, for messages: undici rejects with a bare "fetch failed" and hides the
 * system error (`ECONNRESET`, `ENOTFOUND`, …) in `cause`, so both are given: `fetch failed (ECONNRESET: other side closed)`.
 * @example new NetworkError(`GET ${url} failed: ${networkReason(e)}`, { cause: e })
 */
export function networkReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null | undefined)?.cause;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  const detail = typeof cause?.message === "string" && cause.message !== "" && cause.message !== message ? cause.message : undefined;
  if (code === undefined && detail === undefined) return message;
  return `${message} (${[code, detail].filter((part) => part !== undefined).join(": ")})`;
}
