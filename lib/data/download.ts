/**
 * Download of a public file with a pinned SHA-256 checksum. Nothing is written unless the checksum matches.
 *
 * @module
 */
import { sha256Hex } from "./digest.ts";
import { gunzipIfNeeded } from "./idx.ts";

/** Which bytes a pinned checksum covers: the file as served, or its content after gunzip. */
export type ChecksumOf = "file" | "gunzipped";

/**
 * Fetches `url`, checks the SHA-256 of the bytes (or of their gunzipped content) against `sha256`, and writes
 * them to `dest` (via a temporary file and a rename, so `dest` is never half-written). Throws a clear error on
 * a network failure, an HTTP error or a checksum mismatch.
 *
 * @example
 * ```ts
 * await downloadVerified(url, "outputs/downloads/t10k-labels-idx1-ubyte.gz", pinnedSha256, "gunzipped");
 * ```
 */
export async function downloadVerified(
  url: string,
  dest: string,
  sha256: string,
  checksumOf: ChecksumOf = "file",
): Promise<void> {
  let bytes: Uint8Array;
  try {
    const res = await fetch(url);
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status} ${res.statusText}`);
    }
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new Error(`download of ${url} failed: ${(e as Error).message}`);
  }
  const checked = checksumOf === "gunzipped" ? gunzipIfNeeded(bytes, url) : bytes;
  const got = await sha256Hex(checked);
  if (got !== sha256) {
    throw new Error(
      `checksum mismatch for ${url}: expected sha256 ${sha256}${
        checksumOf === "gunzipped" ? " (of the gunzipped content)" : ""
      }, ` +
        `got ${got}; the file was not saved`,
    );
  }
  const tmp = `${dest}.${crypto.randomUUID()}.tmp`;
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, dest);
}
