/**
 * The sign check of a headline claim (paper §9): does the interval of an estimated effect exclude zero on the
 * side the paper predicts?
 *
 * @module
 */

/** The outcome of checking one claim. */
export type Verdict = "reproduced" | "contradicted" | "inconclusive at this scale";

/** The predicted direction of an effect: +1 (positive) or −1 (negative). */
export type ExpectedSign = 1 | -1;

/**
 * "reproduced" when the CI lies strictly on the expected side of 0, "contradicted" when it lies strictly on the
 * other side, and "inconclusive at this scale" when it touches or straddles 0, or when the estimate or interval
 * is undefined (NaN). Throws if `expectedSign` is not ±1, or if the interval is reversed.
 *
 * @example
 * ```ts
 * verdict(-1, -0.4, { lo: -0.7, hi: -0.1 }); // "reproduced"
 * verdict(1, 0.1, { lo: -0.2, hi: 0.4 });    // "inconclusive at this scale"
 * ```
 */
export function verdict(
  expectedSign: ExpectedSign,
  estimate: number,
  ci: { lo: number; hi: number },
): Verdict {
  if (expectedSign !== 1 && expectedSign !== -1) {
    throw new Error(`verdict: expectedSign must be 1 or -1, got ${expectedSign}`);
  }
  if (Number.isNaN(estimate) || Number.isNaN(ci.lo) || Number.isNaN(ci.hi)) {
    return "inconclusive at this scale";
  }
  if (ci.lo > ci.hi) throw new Error(`verdict: interval is reversed (lo=${ci.lo} > hi=${ci.hi})`);
  const side = ci.lo > 0 ? 1 : ci.hi < 0 ? -1 : 0;
  if (side === 0) return "inconclusive at this scale";
  return side === expectedSign ? "reproduced" : "contradicted";
}
