import { KvcdnError, type KvcdnErrorOptions } from "../errors/kvcdn-error.js";
import { errorGuard } from "../errors/error-guard.js";

/**
 * Why a fixture model could not be made: `bad_config` (a shape or dimension that Qwen3 cannot have), `bad_seed`,
 * `bad_options`, `write_failed` (the folder could not be written; nothing partial is left behind).
 */
export type FixtureModelErrorCode = "bad_config" | "bad_seed" | "bad_options" | "write_failed";

/**
 * A fixture model request is invalid or its folder could not be written.
 * @example try { await createFixtureModel({ dir, shape: "tiny", seed: -1 }) } catch (e) { if (e instanceof FixtureModelError) console.error(e.code) }
 */
export class FixtureModelError extends KvcdnError {
  override name = "FixtureModelError";
  declare readonly code: FixtureModelErrorCode;

  constructor(message: string, options: KvcdnErrorOptions & { code: FixtureModelErrorCode }) {
    super(message, options);
  }
}

/** True for a {@link FixtureModelError} thrown by kvcdn, across package copies and realms. */
export const isFixtureModelError = errorGuard<FixtureModelError>("FixtureModelError");
