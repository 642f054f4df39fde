import { relaunchTuned, shouldRelaunch } from "./cli/relaunch-tuned.js";
import { runCli } from "./cli/run-cli.js";

// Model commands run in a child started with the allocator settings glibc reads only at process start
// (docs/runtime.md#memory-allocator); everything else runs here.
if (shouldRelaunch(process.argv, process.env)) {
  const outcome = await relaunchTuned(process.argv);
  if ("signal" in outcome) process.kill(process.pid, outcome.signal);
  else process.exitCode = outcome.code;
} else {
  process.exitCode = await runCli(process.argv);
}
