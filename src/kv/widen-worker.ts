import { Worker } from "node:worker_threads";
import { f16ToF32BitsTable } from "./float16.js";

/** One batch for the helper thread: arrays of `source` to widen into `outputs`. */
export interface WidenTask {
  /** Tells this task's answers apart from an earlier one's. */
  id: number;
  /** The bytes every job reads (shared, never copied). */
  source: SharedArrayBuffer;
  /** `[byteOffset, length]` of each job's F16 or BF16 elements in `source`. */
  jobs: Array<[number, number]>;
  /** The element type of the jobs. */
  from: "F16" | "BF16";
  /**
   * Where each job's F32 bit patterns go, `4 × length` bytes, transferred to the helper and back. The calling thread
   * allocates them, so the memory comes from (and returns to) its own malloc arena: buffers allocated on the helper
   * would come from a per-thread arena, which glibc maps and unmaps on every use (seconds of system time per GB).
   */
  outputs: ArrayBuffer[];
}

/** What the helper posts: one widened job (its buffer transferred, not copied), then the end of the task. */
export type WidenAnswer = { id: number; index: number; buffer: ArrayBuffer } | { id: number; finished: true } | { id: number; error: string };

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
      parentPort.postMessage({ id: task.id, index: j, buffer: out.buffer }, [out.buffer]);
    }
    parentPort.postMessage({ id: task.id, finished: true });
  } catch (e) {
    parentPort.postMessage({ id: task.id, error: String(e) });
  }
});
`;

/** The running helper and the tasks that wait on it (it keeps the process alive only while some do). */
let helper: { worker: Worker; listeners: Set<(answer: WidenAnswer | Error) => void> } | undefined;
/** Why the helper failed, once it has: from then on this process widens on the calling thread only. */
let failed: Error | undefined;

/**
 * Internal: hand `task` to the process's widening helper thread (started on first use, then kept, idle, without
 * holding the process open) and call `onAnswer` with each of its answers, or with an `Error` if the thread fails
 * or exits. Returns a function that stops the calls; the caller must call it once the task is finished.
 * @throws {Error} when no thread can be started, or the helper failed before (the caller widens on its own thread).
 */
export function postWidenTask(task: WidenTask, onAnswer: (answer: WidenAnswer | Error) => void): () => void {
  if (failed !== undefined) throw failed;
  const h = (helper ??= startHelper());
  const listener = (answer: WidenAnswer | Error): void => {
    if (answer instanceof Error || answer.id === task.id) onAnswer(answer);
  };
  h.listeners.add(listener);
  h.worker.ref();
  h.worker.postMessage(task, task.outputs);
  return () => {
    if (!h.listeners.delete(listener)) return;
    if (h.listeners.size === 0) h.worker.unref();
  };
}

function startHelper(): NonNullable<typeof helper> {
  // No inherited Node options: `--input-type=module` would make the CommonJS source fail, and a loader the program
  // was started with (`--import tsx`) has nothing to do here.
  const worker = new Worker(HELPER_SOURCE, { eval: true, execArgv: [], workerData: f16ToF32BitsTable().slice() });
  worker.unref();
  const h = { worker, listeners: new Set<(answer: WidenAnswer | Error) => void>() };
  const fail = (error: Error): void => {
    if (failed === undefined) {
      failed = error;
      // Slower, not wrong: say so once instead of degrading in silence.
      process.emitWarning(`kvcdn: the F16 widening thread failed (${error.message}); widening on one thread from now on`);
    }
    if (helper === h) helper = undefined;
    for (const listener of [...h.listeners]) listener(error);
  };
  worker.on("message", (answer: WidenAnswer) => {
    for (const listener of [...h.listeners]) listener(answer);
  });
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`the widening thread exited (code ${code})`)));
  return h;
}
