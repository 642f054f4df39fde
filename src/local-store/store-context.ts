import type { ArtifactStore } from "./artifact-store.js";
import type { AuditLog } from "./audit-log.js";
import type { KeyRing } from "./key-ring.js";
import type { KeyedMutex } from "./keyed-mutex.js";
import type { PlanLimits } from "./limits.js";
import type { Presigner } from "./sigv4.js";

/** Everything a route handler needs: the store's state, its settings and its clock. */
export interface StoreContext {
  artifacts: ArtifactStore;
  audit: AuditLog;
  keys: KeyRing;
  presigner: Presigner;
  /** Serializes metadata mutations (and the quota checks before them) per organization. */
  orgLocks: KeyedMutex;
  limits: PlanLimits;
  /** API base URL (`http://host:port`). */
  url: string;
  /** Public CDN base URL. */
  cdnUrl: string;
  now: () => number;
  maxJsonBytes: number;
  presignTtlMs: number;
  /** Discard `metadata` and `description` of uploads, as the deployed backend does. */
  dropMetadata: boolean;
  /** Artifacts whose single-use PUT URL has been used (a PUT arrived with a valid signature). */
  usedPutUrls: Set<string>;
  /** When each key's use was last written to the audit log (epoch ms). */
  keyUseLoggedAt: Map<string, number>;
  log: (line: string) => void;
}
