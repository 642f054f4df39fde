import type { KvcdnError } from "./kvcdn-error.js";

/**
 * Build a type guard that recognises kvcdn errors by their literal `name` (and the `isKvcdnError` brand), so it also
 * works for errors thrown by another copy of the package or in another realm, where `instanceof` fails.
 * @example export const isNotFoundError = errorGuard<NotFoundError>("NotFoundError")
 */
export function errorGuard<T extends KvcdnError>(...names: string[]): (e: unknown) => e is T {
  return (e: unknown): e is T =>
    typeof e === "object" &&
    e !== null &&
    (e as { isKvcdnError?: unknown }).isKvcdnError === true &&
    names.includes(String((e as { name?: unknown }).name));
}
