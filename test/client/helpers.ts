import nock from "nock";
import { createKvcdnClient, type KvcdnClient, type KvcdnClientOptions } from "../../src/client/index.js";

/** A well-formed API key used across the client tests; it must never appear in any output. */
export const KEY = `kv_${"5e".repeat(32)}`;
export const API = "https://api.kvcdn.test";

/** A logger that records everything (warnings and debug lines). */
export function captureLogger(): { lines: string[]; warn: (m: string) => void; debug: (m: string) => void } {
  const lines: string[] = [];
  return { lines, warn: (m) => lines.push(`warn ${m}`), debug: (m) => lines.push(`debug ${m}`) };
}

/** A client on the fake API origin with fast retries and no config file or environment. */
export function makeClient(overrides: KvcdnClientOptions = {}): KvcdnClient {
  return createKvcdnClient({
    apiUrl: API,
    apiKey: KEY,
    env: {},
    configPath: false,
    retry: { limit: 2, delay: () => 1 },
    logger: captureLogger(),
    ...overrides,
  });
}

/** A full artifact in the shape of our openapi.yaml. */
export function wireArtifact(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: `cache ${id}`,
    description: null,
    model_name: "Qwen/Qwen3-0.6B",
    dtype: "F16",
    storage_dtype: "F16",
    num_tokens: 512,
    num_layers: 28,
    quantized: false,
    size_bytes: 1024,
    checksum: "a".repeat(64),
    status: "ready",
    visibility: "private",
    org_slug: "acme",
    project_slug: "chat",
    public_url: null,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...extra,
  };
}

/**
 * Refuse real network connections for the rest of this test file (each file runs in its own process), so a request
 * no interceptor matches fails instead of leaving the machine. It does not clear interceptors: callers do that with
 * `afterEach(() => nock.cleanAll())`.
 */
export function useNock(): void {
  nock.disableNetConnect();
}

export { nock };
