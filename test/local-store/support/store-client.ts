import { createHash, randomBytes } from "node:crypto";
import type { LocalStore } from "../../../src/local-store/index.js";
import { assertMatchesContract } from "./openapi-contract.js";

/** A response with its body read (parsed when JSON), already checked against openapi.yaml. */
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

/**
 * Plain fetch against a store, checking every response against openapi.yaml (documented status, valid body).
 * `key: null` sends no Authorization; `json` sends a JSON body with its content type.
 */
export async function call<T = any>(
  store: Pick<LocalStore, "url">,
  method: string,
  path: string,
  init: { key?: string | null; json?: unknown; body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  let body = init.body;
  if (init.json !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(init.json);
  }
  const res = await fetch(`${store.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  return read(res, method, new URL(res.url).pathname);
}

/** fetch an absolute URL (presigned or CDN) and check the response against openapi.yaml. */
export async function fetchChecked<T = any>(url: string, init: RequestInit = {}): Promise<Reply<T>> {
  const res = await fetch(url, init);
  return read(res, init.method ?? "GET", new URL(url).pathname);
}

async function read(res: Response, method: string, path: string): Promise<Reply> {
  const text = await res.text();
  const contentType = res.headers.get("content-type");
  assertMatchesContract(method, path, res.status, contentType, text);
  const body = contentType?.startsWith("application/json") && text.length > 0 ? JSON.parse(text) : text;
  return { status: res.status, headers: res.headers, text, body };
}

/** Lowercase hex SHA-256. */
export const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** Random bytes of a given size (a stand-in for a `.kv` file: the store never parses it). */
export const randomBlob = (size: number): Buffer => randomBytes(size);

/** The upload-url fields a test does not care about. */
export const uploadFields = (data: Uint8Array, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model_name: "Qwen/Qwen3-0.6B",
  name: "test cache",
  dtype: "F16",
  num_tokens: 7,
  size_bytes: data.length,
  checksum: sha256(data),
  ...extra,
});

/** upload-url only: a pending artifact and its presigned PUT URL. */
export async function createUpload(store: Pick<LocalStore, "url">, key: string, data: Uint8Array, extra: Record<string, unknown> = {}) {
  const reply = await call(store, "POST", "/api/v1/artifacts/upload-url", { key, json: uploadFields(data, extra) });
  if (reply.status !== 200) throw new Error(`upload-url answered ${reply.status}: ${reply.text}`);
  return reply.body as { artifact_id: string; url: string; expires_at: string; upload_headers: Record<string, string>; artifact: any };
}

/** PUT bytes to a presigned URL the way a client should (no Authorization, the upload headers). */
export function putBytes(url: string, data: Uint8Array, headers: Record<string, string> = {}): Promise<Reply> {
  return fetchChecked(url, { method: "PUT", body: data, headers: { "content-type": "application/octet-stream", ...headers } });
}

/** confirm-upload with the right size and checksum. */
export function confirm(store: Pick<LocalStore, "url">, key: string, id: string, data: Uint8Array): Promise<Reply> {
  return call(store, "POST", `/api/v1/artifacts/${id}/confirm-upload`, { key, json: { size_bytes: data.length, checksum: sha256(data) } });
}

/** The whole flow (upload-url, PUT, confirm); returns the ready artifact. */
export async function uploadReady(store: Pick<LocalStore, "url">, key: string, data: Uint8Array, extra: Record<string, unknown> = {}) {
  const up = await createUpload(store, key, data, extra);
  const put = await putBytes(up.url, data);
  if (put.status !== 200) throw new Error(`PUT answered ${put.status}: ${put.text}`);
  const done = await confirm(store, key, up.artifact_id, data);
  if (done.status !== 200) throw new Error(`confirm answered ${done.status}: ${done.text}`);
  return done.body as { id: string; status: string; public_url: string | null; [k: string]: any };
}

/** A second tenant's key for `startLocalStore({ apiKeys: [OTHER_TENANT] })`. */
export const OTHER_TENANT = { key: `kv_${"ab".repeat(32)}`, org: "acme", project: "research" };
