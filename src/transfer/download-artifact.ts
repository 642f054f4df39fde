import type { Artifact } from "../client/artifact.js";
import type { CallOptions } from "../client/client-options.js";
import type { DownloadUrl } from "../client/create-download-url.js";
import { IntegrityError, isKvcdnError, ShardGroupError } from "../errors/index.js";
import { recordVerification } from "../kv/verification-record.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import { downloadShardGroup } from "./download-shard-group.js";
import type { DownloadOptions, DownloadResult, DownloadSource } from "./download-options.js";
import { resolveDestination } from "./resolve-destination.js";
import { createAtomicFile, type AtomicFile } from "../kv/fs/atomic-file.js";
import { moveSidecarAside, type SidecarAside } from "../kv/fs/commit-kv-pair.js";
import { readSidecar, sidecarPath } from "../kv/sidecar.js";
import { checkDownloadedKv } from "./check-downloaded-kv.js";
import { describeUrl } from "./fetch-without-credentials.js";
import type { ShardInfo } from "./plan-kv-shards.js";
import { resolveDownloadSource, type ResolvedSource } from "./resolve-download-source.js";
import { groupTag, shardHintOf, shardInfoFromHeader } from "./shard-identity.js";
import { sidecarForDownload } from "./sidecar-for-download.js";
import { streamToFile, type ByteSource } from "./stream-to-file.js";
import type { TransferClient } from "./transfer-client.js";
import { callOptions, resolveTransferSettings } from "./transfer-settings.js";

/**
 * Download an artifact to `dest` (a file path, or a directory that receives `<id>.kv`): a private artifact through
 * download-url, a public one from its CDN URL without credentials. Streams into a temp file beside the destination,
 * hashes while streaming, resumes with `Range` after interruptions (a fresh URL if the old one expired), verifies the
 * SHA-256, fsyncs and renames; then writes the `<dest>.json` sidecar from the artifact's metadata. A failed or aborted
 * download leaves the destination as it was. A cache uploaded as shards is rebuilt into one `.kv`.
 * @example const { path, sha256 } = await downloadArtifact({ client, source: id, dest: "./caches/" })
 */
export async function downloadArtifact(
  params: DownloadOptions & { client?: TransferClient; source: DownloadSource; dest: string },
): Promise<DownloadResult> {
  const { client, signal } = params;
  throwIfAborted(signal);
  const target = resolveDownloadSource(client, params.source);
  const settings = resolveTransferSettings(client, params);
  const maxResumes = Math.max(0, params.maxResumes ?? 5);
  const fetch = params.fetch ?? client?.fetch;

  let artifact: Artifact | undefined;
  if (target.kind === "private") {
    artifact = await (client as TransferClient).get(target.id, callOptions(settings, signal));
  } else if (client !== undefined && client.hasApiKey && target.id !== undefined) {
    artifact = await tryGetArtifact(client, target.id, callOptions(settings, signal));
  }
  const id = target.id;
  const dest = await resolveDestination({ dest: params.dest, id });

  // A shard (known by metadata.shard, or by its name where the service dropped metadata) is never handed back alone.
  const hint = params.reassemble === false ? undefined : shardHintOf(artifact);
  if (hint !== undefined && artifact !== undefined && client !== undefined) {
    return downloadShardGroup({ ...params, ...(fetch ? { fetch } : {}), client, hint, known: [artifact], dest, publicAccess: target.kind === "public", settings, maxResumes });
  }

  let source: ByteSource;
  let ticket: DownloadUrl | undefined;
  if (target.kind === "private") {
    const privateClient = client as TransferClient;
    const ticketNow = await privateClient.createDownloadUrl(target.id, callOptions(settings, signal));
    ticket = ticketNow;
    let current = ticketNow.download_url;
    source = {
      url: async (fresh) => {
        if (fresh) current = (await privateClient.createDownloadUrl(target.id, callOptions(settings, signal))).download_url;
        return current;
      },
    };
  } else {
    source = { url: async () => target.url };
  }

  const expectedSha256 = params.sha256?.toLowerCase() ?? artifact?.checksum ?? ticket?.checksum?.toLowerCase() ?? undefined;
  const sizeRaw = artifact?.size_bytes ?? ticket?.size_bytes;
  const expectedSize = typeof sizeRaw === "number" && Number.isSafeInteger(sizeRaw) && sizeRaw >= 0 ? sizeRaw : undefined;
  let staged: AtomicFile | undefined;
  let aside: SidecarAside | undefined;
  let verified = expectedSha256 !== undefined;
  try {
    const result = await streamToFile({
      source,
      dest,
      expectedSha256,
      expectedSize,
      fetch,
      signal,
      onProgress: params.onProgress,
      artifactId: id,
      retry: settings.retry,
      maxResumes,
      transferTimeout: settings.transferTimeout,
      beforeCommit: async ({ sha256, sizeBytes, headers, tempPath }) => {
        if (expectedSha256 === undefined) {
          const served = headers.get("x-checksum-sha256")?.trim().toLowerCase();
          if (served !== undefined && served !== "") {
            if (served !== sha256) throw new IntegrityError(`SHA-256 mismatch: the CDN says ${served}, got ${sha256}`, { expected: served, actual: sha256 });
            verified = true;
          }
        }
        // Bytes nothing vouches for must at least be a .kv; and a shard is never committed as if it were the cache.
        const header = await checkDownloadedKv(tempPath, { required: !verified, source: describeSource(target), contentType: headers.get("content-type") });
        const shard = params.reassemble === false ? undefined : shardInfoFromHeader(header?.metadata);
        if (shard !== undefined) throw new FoundShard(shard);
        if (params.sidecar === false) return;
        // The .kv and its sidecar are committed as a pair (see commitKvPair): the old sidecar leaves before the new
        // .kv arrives, unless it already describes exactly these bytes and there is no better one.
        const text = sidecarForDownload({ artifact, sha256, sizeBytes });
        if (text !== undefined) {
          staged = await createAtomicFile(sidecarPath(dest), signal);
          await staged.write(Buffer.from(text, "utf8"));
          await staged.finish();
        } else {
          const old = await readSidecar(dest).catch(() => undefined);
          if (old !== undefined && old.nbytes === sizeBytes && (old.sha256 === undefined || old.sha256 === sha256)) return;
        }
        aside = await moveSidecarAside(sidecarPath(dest));
      },
    });
    await aside?.discard();
    await staged?.commit();
    // The bytes were hashed on the way in: record it, so the first readKv / resume of the file skips its SHA-256
    // pass (see docs/kv-format.md#verification-records). Best effort: without the record the reader only hashes once more.
    await recordVerification(result.path, result.sha256).catch(() => undefined);
    return {
      ...(id !== undefined ? { id } : {}),
      path: result.path,
      sizeBytes: result.sizeBytes,
      sha256: result.sha256,
      verified,
      ...(staged !== undefined ? { sidecarPath: staged.path } : {}),
    };
  } catch (e) {
    if (!(e instanceof FoundShard)) throw e;
    // The bytes say they are one shard of a group, though nothing the service said did (a public URL, or a
    // listing that lost both metadata and name): rebuild the group when the caller can list it, else refuse.
    const hint = { index: e.info.index, count: e.info.count, groupTag: groupTag(e.info.group_id), groupId: e.info.group_id };
    if (client !== undefined && client.hasApiKey) {
      return downloadShardGroup({ ...params, ...(fetch ? { fetch } : {}), client, hint, known: artifact ? [artifact] : [], dest, publicAccess: target.kind === "public", settings, maxResumes });
    }
    const others = Array.from({ length: e.info.count }, (_, i) => i + 1).filter((n) => n !== e.info.index + 1);
    throw new ShardGroupError(
      `${describeSource(target)} is shard ${e.info.index + 1} of ${e.info.count} of a cache (group ${e.info.group_id}); rebuilding it needs shards ${others.join(", ")}, which only a client with an API key of its organization can list (or pass reassemble: false to keep this shard alone)`,
      { code: "shard_group_incomplete", groupId: e.info.group_id, count: e.info.count, missing: others },
    );
  } finally {
    // Still aside after a failure: the old .kv is still in place, so its sidecar goes back.
    await aside?.restore();
    await staged?.abort();
  }
}

/** Raised inside `beforeCommit` when the bytes turn out to be one shard of a group. */
class FoundShard {
  constructor(readonly info: ShardInfo) {}
}

function describeSource(target: ResolvedSource): string {
  return target.kind === "public" ? describeUrl(target.url) : `Artifact ${target.id}`;
}

/** Metadata of a public artifact, when the caller's client can see it; a failure only means no metadata. */
async function tryGetArtifact(client: TransferClient, id: string, options: CallOptions): Promise<Artifact | undefined> {
  try {
    return await client.get(id, options);
  } catch (e) {
    if (isKvcdnError(e) && e.name === "AbortError") throw e;
    return undefined;
  }
}
