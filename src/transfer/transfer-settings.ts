import { DEFAULT_TIMEOUT_MS, type CallOptions } from "../client/client-options.js";
import { resolveRetryOptions, type ResolvedRetryOptions } from "../retry/retry-options.js";
import type { TransferControl } from "./progress.js";
import type { TransferClient } from "./transfer-client.js";
import type { TransferTimeoutOptions } from "./transfer-timeout.js";

/** The retry and timeout settings of one transfer, every default filled in from the client. */
export interface TransferSettings {
  retry: ResolvedRetryOptions;
  /** Per-attempt timeout of the transfer's API calls in ms, or false. */
  timeout: number | false;
  /** The per-byte allowance of storage requests, or false for none. */
  transferTimeout: TransferTimeoutOptions | false | undefined;
}

/**
 * A transfer's settings: its own `retry` over the client's policy, its `timeout` else the client's, so
 * `client.upload` and `client.download` behave as the client was configured.
 */
export function resolveTransferSettings(client: TransferClient | undefined, options: TransferControl): TransferSettings {
  return {
    retry: resolveRetryOptions(options.retry, client?.retry),
    timeout: options.timeout ?? client?.timeout ?? DEFAULT_TIMEOUT_MS,
    transferTimeout: options.transferTimeout,
  };
}

/** The longer of two timeouts, where `false` (none) is the longest. */
export function longerTimeout(a: number | false, b: number | false): number | false {
  return a === false || b === false ? false : Math.max(a, b);
}

/** The options of a transfer's API calls: its signal, timeout and retry policy. */
export function callOptions(settings: TransferSettings, signal: AbortSignal | undefined): CallOptions {
  return { signal, timeout: settings.timeout, retry: settings.retry };
}
