/**
 * Atomic file writes: write a temporary file beside the target, flush it, then rename it into place, so a
 * reader (or a crash) sees either the old content or the new, never a torn file.
 *
 * @module
 */
import { dirname } from "node:path";

/**
 * Atomically replace `path` with `data`, creating parent directories; `beforeRename` runs once the temporary
 * file is complete (a crash point for the fault-injection suite).
 *
 * @example
 * ```ts
 * await writeFileAtomic("pipeline.lock", "schema: 1\n");
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  beforeRename?: () => void,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    using file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  beforeRename?.();
  await Deno.rename(tmp, path);
}
