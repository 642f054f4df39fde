import { describe, expectTypeOf, it } from "vitest";
import type { Artifact, KvcdnClient, RetryOptions } from "../../src/client/index.js";
import {
  downloadArtifact,
  downloadArtifactEvents,
  downloadMany,
  hashFile,
  uploadArtifact,
  uploadArtifactEvents,
  uploadMany,
  type DownloadResult,
  type SettledItem,
  type TransferEvent,
  type TransferClient,
  type TransferProgress,
  type UploadedArtifact,
} from "../../src/index.js";

describe("public transfer signatures", () => {
  it("upload functions take one params object and resolve to artifacts", () => {
    expectTypeOf(uploadArtifact).parameter(0).toHaveProperty("client").toEqualTypeOf<TransferClient>();
    expectTypeOf<KvcdnClient>().toMatchTypeOf<TransferClient>();
    expectTypeOf(uploadArtifact).parameter(0).toHaveProperty("file").toEqualTypeOf<string>();
    expectTypeOf(uploadArtifact).parameter(0).toHaveProperty("signal").toEqualTypeOf<AbortSignal | undefined>();
    expectTypeOf(uploadArtifact).returns.resolves.toEqualTypeOf<UploadedArtifact>();
    expectTypeOf<UploadedArtifact>().toMatchTypeOf<Artifact>();
    expectTypeOf(uploadMany).returns.resolves.items.toMatchTypeOf<SettledItem<unknown, UploadedArtifact>>();
  });

  it("download functions resolve to { path, sizeBytes, sha256 }", () => {
    expectTypeOf(downloadArtifact).parameter(0).toHaveProperty("source").toEqualTypeOf<string | { orgSlug: string; projectSlug: string; id: string }>();
    expectTypeOf(downloadArtifact).returns.resolves.toEqualTypeOf<DownloadResult>();
    expectTypeOf<DownloadResult>().toMatchTypeOf<{ path: string; sizeBytes: number; sha256: string; verified: boolean }>();
    expectTypeOf(downloadMany).returns.resolves.items.toMatchTypeOf<SettledItem<unknown, DownloadResult>>();
  });

  it("client methods delegate with the same options", () => {
    expectTypeOf<KvcdnClient["upload"]>().parameter(0).toEqualTypeOf<string>();
    expectTypeOf<KvcdnClient["upload"]>().returns.resolves.toEqualTypeOf<UploadedArtifact>();
    // Every method takes `timeout` (ms per attempt, or false) and `retry`, upload and download included.
    type UploadOpts = NonNullable<Parameters<KvcdnClient["upload"]>[1]>;
    type DownloadOpts = NonNullable<Parameters<KvcdnClient["download"]>[2]>;
    expectTypeOf<UploadOpts>().toHaveProperty("timeout").toEqualTypeOf<number | false | undefined>();
    expectTypeOf<DownloadOpts>().toHaveProperty("timeout").toEqualTypeOf<number | false | undefined>();
    expectTypeOf<UploadOpts>().toHaveProperty("retry").toEqualTypeOf<number | RetryOptions | undefined>();
    expectTypeOf<DownloadOpts>().toHaveProperty("retry").toEqualTypeOf<number | RetryOptions | undefined>();
    expectTypeOf<KvcdnClient["download"]>().returns.resolves.toEqualTypeOf<DownloadResult>();
  });

  it("progress events are typed by phase, and event streams end with the result", () => {
    expectTypeOf<TransferProgress["phase"]>().toEqualTypeOf<"hashing" | "uploading" | "confirming" | "downloading" | "verifying">();
    expectTypeOf(uploadArtifactEvents).returns.toEqualTypeOf<AsyncGenerator<TransferEvent<UploadedArtifact>, void, undefined>>();
    expectTypeOf(downloadArtifactEvents).returns.toEqualTypeOf<AsyncGenerator<TransferEvent<DownloadResult>, void, undefined>>();
    expectTypeOf(hashFile).returns.resolves.toEqualTypeOf<{ sha256: string; sizeBytes: number }>();
  });
});
