/**
 * SHA-256 of a file's bytes, streamed in 1 MiB chunks (native SHA-256 through `node:crypto`).
 *
 * @module
 */
import { createHash } from "node:crypto";

const CHUNK = 1 << 20;

/**
 * Hex SHA-256 of the file at `path`, read in chunks so memory stays flat.
 *
 * @example
 * ```ts
 * await hashFileStreaming("params.yaml"); // "3a7b…"
 * ```
 */
export async function hashFileStreaming(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  const buf = new Uint8Array(CHUNK);
  for (;;) {
    const n = await file.read(buf);
    if (n === null) break;
    hash.update(n === CHUNK ? buf : buf.subarray(0, n));
  }
  return hash.digest("hex");
}
