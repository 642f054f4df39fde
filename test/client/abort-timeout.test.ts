import { describe, expect, it } from "vitest";
import type { FetchLike } from "../../src/client/index.js";
import { AbortError, TimeoutError } from "../../src/errors/index.js";
import { makeClient, wireArtifact } from "./helpers.js";

/** A fetch that never answers until the request's signal fires, then rejects like the platform does. */
function hangingFetch(calls: { n: number }): FetchLike {
  return (request) => {
    calls.n++;
    return new Promise((_, reject) => {
      const signal = request.signal;
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  };
}

/** A fetch that hangs on the first `hangs` calls and answers the next ones. */
function hangThenAnswer(hangs: number, calls: { n: number }): FetchLike {
  const hang = hangingFetch({ n: 0 });
  return async (request) => {
    calls.n++;
    if (calls.n <= hangs) return hang(request);
    return new Response(JSON.stringify(wireArtifact("a1")), { status: 200, headers: { "content-type": "application/json" } });
  };
}

describe("abort", () => {
  it("rejects with AbortError whose cause is signal.reason, without retrying", async () => {
    const calls = { n: 0 };
    const controller = new AbortController();
    const reason = new Error("user pressed Ctrl-C");
    const hang = hangingFetch(calls);
    // Abort once the request is in flight (the hook is the fetch itself), not after a guessed delay.
    const fetch: FetchLike = (request) => {
      const answer = hang(request);
      controller.abort(reason);
      return answer;
    };
    const e = await makeClient({ fetch }).get("a1", { signal: controller.signal }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AbortError);
    expect((e as AbortError).cause).toBe(reason);
    expect(calls.n).toBe(1);
  });

  it("an already-aborted signal makes no request", async () => {
    const calls = { n: 0 };
    const e = await makeClient({ fetch: hangingFetch(calls) }).usage({ signal: AbortSignal.abort("stop") }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AbortError);
    expect((e as AbortError).cause).toBe("stop");
    expect(calls.n).toBe(0);
  });

  it("aborting during a retry wait stops at once with AbortError", async () => {
    const calls = { n: 0 };
    const fetch: FetchLike = async () => {
      calls.n++;
      return new Response("{}", { status: 503, headers: { "retry-after": "30", "content-type": "application/json" } });
    };
    const controller = new AbortController();
    // onRetry runs right before the 30 s Retry-After wait: aborting there is aborting during the wait.
    const client = makeClient({ fetch, retry: { limit: 3, delay: () => 1, onRetry: () => controller.abort(new Error("enough")) } });
    const e = await client.get("a1", { signal: controller.signal }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AbortError);
    expect(((e as AbortError).cause as Error).message).toBe("enough");
    expect(calls.n).toBe(1);
  });
});

describe("timeout", () => {
  it("a call that exceeds its timeout is TimeoutError, not AbortError", async () => {
    const calls = { n: 0 };
    const e = await makeClient({ fetch: hangingFetch(calls), retry: 0 }).get("a1", { timeout: 20 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e).not.toBeInstanceOf(AbortError);
    expect((e as TimeoutError).timeoutMs).toBe(20);
    expect((e as Error).message).toMatch(/GET \/api\/v1\/artifacts\/a1 timed out after 20 ms/);
  });

  it("the client-wide timeout applies when a call gives none", async () => {
    const e = await makeClient({ fetch: hangingFetch({ n: 0 }), retry: 0, timeout: 15 }).whoami().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TimeoutError);
    expect((e as TimeoutError).timeoutMs).toBe(15);
  });

  it("the timeout is per attempt: an idempotent call retries after one", async () => {
    const calls = { n: 0 };
    const a = await makeClient({ fetch: hangThenAnswer(1, calls) }).get("a1", { timeout: 20 });
    expect(a.id).toBe("a1");
    expect(calls.n).toBe(2);
  });

  it("upload-url is not retried after a timeout (the artifact may exist)", async () => {
    const calls = { n: 0 };
    const body = { model_name: "m", dtype: "F16", size_bytes: 1, checksum: "e".repeat(64) };
    await expect(makeClient({ fetch: hangThenAnswer(1, calls) }).createUploadUrl(body, { timeout: 20 })).rejects.toBeInstanceOf(TimeoutError);
    expect(calls.n).toBe(1);
  });
});
