/** The outcome of one item of a batch: like `PromiseSettledResult`, plus the item it belongs to. */
export type SettledItem<T, R> =
  | { status: "fulfilled"; item: T; index: number; value: R }
  | { status: "rejected"; item: T; index: number; reason: unknown };

/** Default number of transfers in flight in a batch. */
export const DEFAULT_CONCURRENCY = 4;

/**
 * Run `task` over `items` with at most `concurrency` in flight, in order of start, and settle every one: a failure
 * does not stop the others (an abort does, since every task shares the signal). Results keep the input order.
 * @example const results = await mapSettled(files, 4, (file) => upload(file))
 */
export async function mapSettled<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<Array<SettledItem<T, R>>> {
  const results = new Array<SettledItem<T, R>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index] as T;
      try {
        results[index] = { status: "fulfilled", item, index, value: await task(item, index) };
      } catch (reason) {
        results[index] = { status: "rejected", item, index, reason };
      }
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(concurrency) || 1, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
