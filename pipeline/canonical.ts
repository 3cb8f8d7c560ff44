/**
 * Canonical JSON (sorted keys, no whitespace) and SHA-256 of strings: the basis of every fingerprint.
 *
 * @module
 */
import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted at every depth, so equal data always serialises to equal bytes. Non-finite
 * numbers, which plain JSON turns into `null`, keep distinct values ({@link encodeNonFinite}).
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }); // '{"a":[2,{"c":4,"d":3}],"b":1}'
 * canonicalJson([NaN, null]); // '[{"$numberDouble":"NaN"},null]'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(encodeNonFinite(value)));
}

/** The key that marks an encoded non-finite number (as MongoDB's Extended JSON writes them). */
const NON_FINITE_TAG = "$numberDouble";

/**
 * A deep copy of `value` with each non-finite number (YAML's `.nan`, `.inf`, `-.inf`) replaced by
 * `{"$numberDouble": "NaN" | "Infinity" | "-Infinity"}`, so JSON keeps them apart from each other and from
 * `null`. This is also the wire format of `PIPELINE_PARAMS` (stages decode it in stages/support/params.ts).
 *
 * @example
 * ```ts
 * JSON.stringify(encodeNonFinite({ lr: -Infinity })); // '{"lr":{"$numberDouble":"-Infinity"}}'
 * ```
 */
export function encodeNonFinite(value: unknown): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : { [NON_FINITE_TAG]: String(value) };
  if (Array.isArray(value)) return value.map(encodeNonFinite);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeNonFinite(v)]));
  }
  return value;
}

/**
 * The inverse of {@link encodeNonFinite}, for JSON read back (run-cache entries).
 *
 * @example
 * ```ts
 * decodeNonFinite({ lr: { $numberDouble: "NaN" } }); // { lr: NaN }
 * ```
 */
export function decodeNonFinite(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeNonFinite);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0][0] === NON_FINITE_TAG) {
      const n = Number(entries[0][1]);
      if (!Number.isFinite(n) && ["NaN", "Infinity", "-Infinity"].includes(String(entries[0][1]))) return n;
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, decodeNonFinite(v)]));
  }
  return value;
}

/** A deep copy of `value` with object keys in sorted order (arrays keep their order). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/**
 * Hex SHA-256 of a string or bytes.
 *
 * @example
 * ```ts
 * sha256Hex("abc"); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
