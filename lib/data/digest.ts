/**
 * SHA-256 digests of bytes and of a set of named files (the `source_digest` of prepared data).
 *
 * @module
 */

/** Lower-case hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const hash = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * One digest for a set of named files: SHA-256 of the `sha256sum`-style manifest (`<hex>  <name>\n` per file,
 * sorted by name). Independent of the order files were read in.
 *
 * @example
 * ```ts
 * await manifestDigest(new Map([["a.bin", await sha256Hex(a)], ["b.bin", await sha256Hex(b)]]));
 * ```
 */
export function manifestDigest(files: Map<string, string>): Promise<string> {
  if (files.size === 0) throw new Error("manifestDigest: no files");
  const names = [...files.keys()].sort();
  return sha256Hex(names.map((name) => `${files.get(name)}  ${name}\n`).join(""));
}
