import type { TransferProgress } from "./progress.js";

/** The last event of an event stream: the transfer's result. */
export interface TransferDone<R> {
  phase: "done";
  result: R;
}

/** What an event stream yields: progress, then one `done` event with the result (a failure throws instead). */
export type TransferEvent<R> = TransferProgress | TransferDone<R>;

/**
 * Run a transfer and expose it as an async iterator of its progress events, ending with `{ phase: "done", result }`.
 * While the consumer is busy, consecutive events of the same phase, file and artifact are coalesced into the latest
 * one (their byte counts only grow, so the latest says all the skipped ones did); a change of phase, file or artifact
 * is always delivered, and the `done` event comes last. Leaving the loop early aborts the transfer and waits for its
 * clean-up.
 * @example for await (const e of transferEvents((ctl) => uploadArtifact({ ...params, ...ctl }))) console.log(e.phase)
 */
export async function* transferEvents<R>(
  run: (control: { onProgress: (event: TransferProgress) => void; signal: AbortSignal }) => Promise<R>,
  signal?: AbortSignal,
): AsyncGenerator<TransferEvent<R>, void, undefined> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener("abort", onOuterAbort, { once: true });
  const queue: TransferProgress[] = [];
  let wake: (() => void) | undefined;
  let settled: { ok: true; value: R } | { ok: false; error: unknown } | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onProgress = (event: TransferProgress) => {
    const last = queue[queue.length - 1];
    if (last !== undefined && last.phase === event.phase && last.artifactId === event.artifactId && last.file === event.file) {
      queue[queue.length - 1] = event;
    } else {
      queue.push(event);
    }
    notify();
  };
  const running = run({ onProgress, signal: controller.signal }).then(
    (value) => {
      settled = { ok: true, value };
      notify();
    },
    (error: unknown) => {
      settled = { ok: false, error };
      notify();
    },
  );
  try {
    for (;;) {
      const event = queue.shift();
      if (event !== undefined) {
        yield event;
        continue;
      }
      if (settled !== undefined) {
        if (!settled.ok) throw settled.error;
        yield { phase: "done", result: settled.value };
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    signal?.removeEventListener("abort", onOuterAbort);
    if (settled === undefined) {
      controller.abort(new Error("The event stream was closed before the transfer finished"));
      // Wait for the transfer's own clean-up (temp files, pending artifacts) so the state is final on return.
      await running;
    }
  }
}
