/**
 * Base64 encoding of bytes (RFC 4648, with padding), for data: URLs.
 *
 * @module
 */

/**
 * The standard base64 text of `bytes`.
 *
 * @example
 * ```ts
 * encodeBase64(new TextEncoder().encode("hi!")); // "aGkh"
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  // btoa takes a "binary string"; build it in chunks so large images do not overflow the argument list.
  const CHUNK = 0x8000;
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}
