/**
 * Bounded concurrency: run an async function over many items with at most a fixed number in flight (open
 * files, sockets, processes).
 *
 * @example
 * ```ts
 * await forEachLimited(paths, 8, async (p) => await Deno.copyFile(p, `${p}.bak`));
 * ```
 *
 * @module
 */

/** Run `fn` over `items` with at most `limit` calls in flight; the first error stops new calls and is thrown. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      try {
        await fn(items[next++]);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
