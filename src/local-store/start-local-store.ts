import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ArtifactStore } from "./artifact-store.js";
import { AuditLog } from "./audit-log.js";
import {
  DEFAULT_QUOTA_BYTES,
  FREE_PLAN_ARTIFACT_LIMIT,
  MAX_JSON_BODY_BYTES,
  MAX_SINGLE_PUT_BYTES,
  PRESIGNED_URL_TTL_MS,
  REQUEST_LOG_LIMIT,
} from "./constants.js";
import { FaultTable } from "./faults.js";
import { handleRequest } from "./handle-request.js";
import { KeyRing, loadOrCreateKeys } from "./key-ring.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { LocalStoreError } from "./local-store-error.js";
import { RequestLog } from "./request-log.js";
import { Presigner } from "./sigv4.js";
import type { StoreContext } from "./store-context.js";
import type { LocalStore, LocalStoreOptions } from "./types.js";

/** Loopback hosts: the only ones fault injection may run on. */
const isLoopback = (host: string): boolean => host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);

const isCount = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;

function checkOptions(o: LocalStoreOptions): void {
  const fail = (message: string): never => {
    throw new LocalStoreError(message, { code: "invalid_options" });
  };
  if (o.port !== undefined && (!isCount(o.port) || o.port > 65535)) fail(`port must be an integer from 0 to 65535, got ${o.port}`);
  if (o.artifactLimit !== undefined && o.artifactLimit !== null && !isCount(o.artifactLimit)) fail("artifactLimit must be an integer >= 0 or null");
  if (o.quotaBytes !== undefined && o.quotaBytes !== null && !isCount(o.quotaBytes)) fail("quotaBytes must be an integer >= 0 or null");
  if (o.maxPutBytes !== undefined && (!isCount(o.maxPutBytes) || o.maxPutBytes < 1)) fail("maxPutBytes must be an integer >= 1");
  if (o.maxJsonBytes !== undefined && (!isCount(o.maxJsonBytes) || o.maxJsonBytes < 1)) fail("maxJsonBytes must be an integer >= 1");
  if (o.presignTtlMs !== undefined && (!isCount(o.presignTtlMs) || o.presignTtlMs < 1000 || o.presignTtlMs > 604_800_000)) {
    fail("presignTtlMs must be from 1000 (1 s) to 604800000 (7 days)");
  }
  if (o.cdnBaseUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(o.cdnBaseUrl)) fail(`cdnBaseUrl must be an http(s) URL, got "${o.cdnBaseUrl}"`);
}

/**
 * Start a KV Cache Store on this machine: the API of openapi.yaml under `/api/v1`, presigned S3-style storage under
 * `/storage`, and the public CDN under `/cdn`, durable in `dataDir`. A dev key for `dev/default` is created on
 * first start and reused afterwards.
 * @example
 * const store = await startLocalStore();
 * const res = await fetch(`${store.url}/api/v1/usage`, { headers: { authorization: `Bearer ${store.apiKey}` } });
 * await store.close();
 */
export async function startLocalStore(options: LocalStoreOptions = {}): Promise<LocalStore> {
  checkOptions(options);
  const host = options.host ?? "127.0.0.1";
  const faultsWanted = options.faults === true;
  if (faultsWanted && !isLoopback(host)) {
    throw new LocalStoreError(`fault injection is allowed on loopback hosts only, not "${host}"`, { code: "invalid_options" });
  }
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = ownsDataDir ? await mkdtemp(join(tmpdir(), "kvcdn-store-")) : resolve(options.dataDir!);
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  try {
    await mkdir(dataDir, { recursive: true });
    const { devKey, storageSecret } = await loadOrCreateKeys(dataDir);
    const keys = new KeyRing([devKey, ...(options.apiKeys ?? [])]);
    const artifacts = await ArtifactStore.open(dataDir, (m) => log(`warning: ${m}`));
    const audit = await AuditLog.open(join(dataDir, "audit"), now);

    const server = createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 });
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", fail);
        ok();
      });
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const cdnUrl = options.cdnBaseUrl?.replace(/\/+$/, "") ?? `${url}/cdn`;

    const ctx: StoreContext = {
      artifacts,
      audit,
      keys,
      presigner: new Presigner(storageSecret),
      orgLocks: new KeyedMutex(),
      limits: {
        artifactLimit: options.artifactLimit === undefined ? FREE_PLAN_ARTIFACT_LIMIT : options.artifactLimit,
        quotaBytes: options.quotaBytes === undefined ? DEFAULT_QUOTA_BYTES : options.quotaBytes,
        maxPutBytes: options.maxPutBytes ?? MAX_SINGLE_PUT_BYTES,
      },
      url,
      cdnUrl,
      now,
      maxJsonBytes: options.maxJsonBytes ?? MAX_JSON_BODY_BYTES,
      presignTtlMs: options.presignTtlMs ?? PRESIGNED_URL_TTL_MS,
      dropMetadata: options.dropMetadata === true,
      usedPutUrls: new Set(),
      keyUseLoggedAt: new Map(),
      log,
    };
    const faults = new FaultTable(faultsWanted, "fault injection is off: start the store with { faults: true } (loopback only)");
    const requests = new RequestLog(options.requestLogLimit ?? REQUEST_LOG_LIMIT);
    const closing = new AbortController();
    const inFlight = new Set<Promise<void>>();
    server.on("request", (req, res) => {
      const work = handleRequest(ctx, { faults, requests, closing: closing.signal }, req, res);
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    });

    let closed: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closed ??= (async () => {
        closing.abort();
        const stopped = new Promise<void>((ok) => server.close(() => ok()));
        server.closeAllConnections();
        await Promise.allSettled([...inFlight]);
        await stopped;
        if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
      })());

    return {
      url,
      cdnUrl,
      apiKey: devKey.key,
      orgSlug: devKey.org,
      projectSlug: devKey.project,
      dataDir,
      host,
      port,
      faults,
      requests,
      now,
      close,
    };
  } catch (e) {
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    if (e instanceof LocalStoreError) throw e;
    throw new LocalStoreError(`cannot start the local store in ${dataDir}: ${(e as Error).message}`, { cause: e });
  }
}
