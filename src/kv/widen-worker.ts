import { Worker } from "node:worker_threads";
import { f16ToF32BitsTable } from "./float16.js";

/** One batch for a helper thread: arrays of `source` to widen into `outputs`, all of them transferred to it. */
export interface WidenTask {
  /** The bytes every job reads. */
  source: ArrayBuffer;
  /** `[byteOffset, length]` of each job's F16 or BF16 elements in `source`. */
  jobs: Array<[number, number]>;
  /** The element type of the jobs. */
  from: "F16" | "BF16";
  /**
   * Where each job's F32 bit patterns go, `4 × length` bytes, transferred back filled. The calling thread allocates
   * them, so the memory comes from (and returns to) its own malloc arena: buffers allocated on the helper would come
   * from a per-thread arena, which glibc maps and unmaps on every use (seconds of system time per GB).
   */
  outputs: ArrayBuffer[];
}

// The helper's whole program, run from source (`eval`) so it works unchanged in the ESM and CommonJS builds. It gets
// the F16 table of float16.ts (the F32 bit pattern of each of the 65,536 F16 patterns) once, as workerData, so both
// threads widen with the same table and agree bit for bit (test/kv/widen-in-parallel.test.ts checks every pattern).
const HELPER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const table = workerData;
parentPort.on("message", (task) => {
  try {
    for (let j = 0; j < task.jobs.length; j++) {
      const [byteOffset, length] = task.jobs[j];
      const src = new Uint16Array(task.source, byteOffset, length);
      const out = new Int32Array(task.outputs[j], 0, length);
      if (task.from === "F16") {
        let i = 0;
        for (const end = length - 3; i < end; i += 4) {
          out[i] = table[src[i]];
          out[i + 1] = table[src[i + 1]];
          out[i + 2] = table[src[i + 2]];
          out[i + 3] = table[src[i + 3]];
        }
        for (; i < length; i++) out[i] = table[src[i]];
      } else {
        for (let i = 0; i < length; i++) out[i] = src[i] << 16;
      }
      parentPort.postMessage({ index: j, buffer: out.buffer }, [out.buffer]);
    }
    parentPort.postMessage({ finished: true });
  } catch (e) {
    parentPort.postMessage({ error: String(e) });
  }
});
`;

/** What a helper posts: one widened job (its buffer transferred back), then the end of the task. */
type HelperAnswer = { index: number; buffer: ArrayBuffer } | { finished: true } | { error: string };

/** Why a helper failed, once one has: from then on this process widens on the calling thread only. */
let failed: Error | undefined;

/** Internal: whether a helper may still be tried in this process (none has failed). */
export function helperThreadUsable(): boolean {
  return failed === undefined;
}

/**
 * Internal: widen `task` on a new helper thread, handing each job's filled output to `onJob` as it comes. Resolves
 * once the helper has answered every job, or has failed (the caller widens what is missing), and the thread has been
 * stopped. A thread per task, not one kept idle: an idle thread never collects its garbage, and the objects it
 * received keep every buffer they were transferred with allocated (hundreds of MB per call); stopping it frees them
 * all. Starting one takes ~40 ms on the other core, while the caller widens its own share.
 */
export async function widenOnHelperThread(task: WidenTask, onJob: (index: number, buffer: ArrayBuffer) => void): Promise<void> {
  if (failed !== undefined) return;
  let worker: Worker;
  try {
    // No inherited Node options: `--input-type=module` would make the CommonJS source fail, and a loader the
    // program was started with (`--import tsx`) has nothing to do here.
    worker = new Worker(HELPER_SOURCE, { eval: true, execArgv: [], workerData: f16ToF32BitsTable().slice() });
  } catch (e) {
    return noteFailure(e instanceof Error ? e : new Error(String(e)));
  }
  await new Promise<void>((resolve) => {
    let finished = false;
    worker.on("message", (answer: HelperAnswer) => {
      if ("index" in answer) return onJob(answer.index, answer.buffer);
      if ("error" in answer) noteFailure(new Error(answer.error));
      finished = true;
      resolve();
    });
    worker.on("error", (e) => {
      noteFailure(e);
      resolve();
    });
    worker.on("exit", (code) => {
      if (!finished) noteFailure(new Error(`the widening thread exited (code ${code})`));
      resolve();
    });
    worker.postMessage(task, [task.source, ...task.outputs]);
  });
  await worker.terminate();
}

function noteFailure(error: Error): void {
  if (failed !== undefined) return;
  failed = error;
  // Slower, not wrong: say so once instead of degrading in silence.
  process.emitWarning(`kvcdn: the F16 widening thread failed (${error.message}); widening on one thread from now on`);
}
