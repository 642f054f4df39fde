import { hasCommand, runCommand } from "./run-command.js";

/** The command-line tools a user would compare us to, or the fallbacks this machine has. */
export interface BaselineTools {
  /** `openssl dgst -sha256`, else coreutils `sha256sum` (about 4x slower than SHA-NI OpenSSL on such machines). */
  hash: { name: "openssl dgst -sha256" | "sha256sum"; run(file: string): Promise<{ seconds: number; sha256: string }> } | null;
  /** curl for presigned PUT/GET, or null when the machine has none (the baseline is then not measured). */
  curl: boolean;
  /** Plain statements about fallbacks, for the report. */
  notes: string[];
}

/** Find openssl and curl (with fallbacks) once per run. */
export function baselineTools(): BaselineTools {
  const notes: string[] = [];
  let hash: BaselineTools["hash"] = null;
  if (hasCommand("openssl", ["version"])) {
    hash = {
      name: "openssl dgst -sha256",
      async run(file) {
        const r = await runCommand("openssl", ["dgst", "-sha256", "-r", file]);
        return { seconds: r.seconds, sha256: r.stdout.trim().split(/\s+/)[0]!.toLowerCase() };
      },
    };
  } else if (hasCommand("sha256sum")) {
    notes.push("openssl is not installed: the baseline hashes with coreutils sha256sum instead, which is slower, so ratios flatter us.");
    hash = {
      name: "sha256sum",
      async run(file) {
        const r = await runCommand("sha256sum", [file]);
        return { seconds: r.seconds, sha256: r.stdout.trim().split(/\s+/)[0]!.toLowerCase() };
      },
    };
  } else {
    notes.push("Neither openssl nor sha256sum is installed: the hashing baselines were not measured.");
  }
  const curl = hasCommand("curl");
  if (!curl) notes.push("curl is not installed: the transfer baselines were not measured.");
  return { hash, curl, notes };
}

/**
 * `curl -T file url`: a presigned PUT with exactly the file's bytes and `Content-Length`, `Expect: 100-continue`
 * turned off (curl otherwise waits up to 1 s for a `100 Continue` on large bodies), failing on HTTP errors.
 */
export function curlPut(file: string, url: string, headers: Record<string, string>): Promise<{ seconds: number }> {
  const h = Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  return runCommand("curl", ["-sS", "--fail", "-X", "PUT", "-T", file, "-H", "Expect:", ...h, "-o", "/dev/null", url]);
}

/** `curl -o dest url`: a presigned GET into a file, failing on HTTP errors. */
export function curlGet(url: string, dest: string): Promise<{ seconds: number }> {
  return runCommand("curl", ["-sS", "--fail", "-o", dest, url]);
}
