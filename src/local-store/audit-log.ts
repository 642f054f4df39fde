import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { components } from "../generated/schema.js";
import { KeyedMutex } from "./keyed-mutex.js";

/** An audit event as stored and served (openapi.yaml `AuditEvent`). */
export type AuditEvent = components["schemas"]["AuditEvent"];

/** What the store records: creation, confirmation, visibility and other changes, deletion, key use. */
export type AuditEventType =
  | "artifact.created"
  | "artifact.confirmed"
  | "artifact.visibility_changed"
  | "artifact.updated"
  | "artifact.deleted"
  | "api_key.used";

/**
 * The audit log: one JSON-lines file per organization in `audit/{org}.jsonl`, appended and fsynced per event.
 * A crash can only leave a torn last line; {@link AuditLog.open} cuts it off and readers skip unparsable lines.
 * Events carry a key id (a SHA-256 prefix), never a key.
 */
export class AuditLog {
  readonly #dir: string;
  readonly #now: () => number;
  readonly #appends = new KeyedMutex();

  private constructor(dir: string, now: () => number) {
    this.#dir = dir;
    this.#now = now;
  }

  /** Open (creating or repairing) the audit directory. */
  static async open(dir: string, now: () => number): Promise<AuditLog> {
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) if (name.endsWith(".jsonl")) await cutTornTail(join(dir, name));
    return new AuditLog(dir, now);
  }

  /** Durably append one event to `org`'s log. */
  async append(
    org: string,
    event: { type: AuditEventType; artifactId?: string | null; keyId?: string | null; details?: Record<string, unknown> },
  ): Promise<void> {
    const line: AuditEvent = {
      id: randomUUID(),
      type: event.type,
      at: new Date(this.#now()).toISOString(),
      artifact_id: event.artifactId ?? null,
      key_id: event.keyId ?? null,
      details: event.details ?? {},
    };
    await this.#appends.run(org, async () => {
      const file = join(this.#dir, `${org}.jsonl`);
      const handle = await open(file, "a", 0o644);
      try {
        await handle.write(`${JSON.stringify(line)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  /** Up to `limit` events of `org` from position `offset` (oldest first); `next` is the offset after them, if any remain. */
  async page(org: string, offset: number, limit: number): Promise<{ events: AuditEvent[]; next?: number }> {
    const events: AuditEvent[] = [];
    let index = 0;
    let next: number | undefined;
    const stream = createReadStream(join(this.#dir, `${org}.jsonl`), { encoding: "utf8" });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const text of lines) {
        const event = parseEvent(text);
        if (event === undefined) continue;
        if (index >= offset) {
          if (events.length === limit) {
            next = index;
            break;
          }
          events.push(event);
        }
        index += 1;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    } finally {
      lines.close();
      stream.destroy();
    }
    return next === undefined ? { events } : { events, next };
  }
}

function parseEvent(text: string): AuditEvent | undefined {
  try {
    const event = JSON.parse(text) as AuditEvent;
    return typeof event === "object" && event !== null && typeof event.id === "string" ? event : undefined;
  } catch {
    return undefined;
  }
}

/** Truncate a file after its last newline (a crash mid-append leaves at most one partial line). */
async function cutTornTail(file: string): Promise<void> {
  const handle = await open(file, "r+");
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const tail = Buffer.alloc(Math.min(size, 64 * 1024));
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - tail.length);
      const { bytesRead } = await handle.read(tail, 0, end - start, start);
      const at = tail.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (at >= 0) {
        if (start + at + 1 !== size) await handle.truncate(start + at + 1);
        break;
      }
      end = start;
      if (end === 0) await handle.truncate(0);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}
