/**
 * The verdict on one headline claim (docs/method.md §10): the expected sign, a p-value adjusted for the
 * number of claims tested (lib/stats/holm.ts), and a minimum number of networks.
 *
 * @module
 */

/** The outcome of checking one claim. `too few networks (n)` names the n the claim had. */
export type Verdict =
  | "reproduced"
  | "consistent in sign, not significant"
  | "contradicted"
  | "opposite in sign, not significant"
  | "undefined statistic"
  | `too few networks (${number})`;

/** The predicted direction of an effect: +1 (positive) or −1 (negative). */
export type ExpectedSign = 1 | -1;

/** The thresholds of {@link verdict}. */
export interface VerdictRule {
  /** Family-wise significance level the Holm-adjusted p is compared with (default 0.05). */
  alpha: number;
  /** Fewest networks (observations) a claim needs to be tested at all (default 10). */
  minNetworks: number;
}

/** The rule of the issue that introduced it: Holm-adjusted p < 0.05 and at least 10 networks. */
export const DEFAULT_RULE: VerdictRule = { alpha: 0.05, minNetworks: 10 };

/**
 * The verdict from the estimate's sign, its Holm-adjusted p-value and the number of networks n:
 * - n < `minNetworks`: `too few networks (n)`, whatever the data say;
 * - estimate NaN or 0, or p NaN: "undefined statistic";
 * - adjusted p < `alpha`: "reproduced" on the expected side, "contradicted" on the other;
 * - otherwise "consistent in sign, not significant" or "opposite in sign, not significant".
 *
 * Throws if `expectedSign` is not ±1 or p lies outside [0, 1].
 *
 * @example
 * ```ts
 * verdict(-1, -0.8, 0.003, 21); // "reproduced"
 * verdict(-1, -0.8, 0.003, 5);  // "too few networks (5)"
 * verdict(1, 0.3, 0.2, 12);     // "consistent in sign, not significant"
 * ```
 */
export function verdict(
  expectedSign: ExpectedSign,
  estimate: number,
  adjustedP: number,
  n: number,
  rule: VerdictRule = DEFAULT_RULE,
): Verdict {
  if (expectedSign !== 1 && expectedSign !== -1) {
    throw new Error(`verdict: expectedSign must be 1 or -1, got ${expectedSign}`);
  }
  if (adjustedP < 0 || adjustedP > 1) throw new Error(`verdict: p must lie in [0, 1], got ${adjustedP}`);
  if (n < rule.minNetworks) return `too few networks (${n})`;
  if (Number.isNaN(estimate) || estimate === 0 || Number.isNaN(adjustedP)) return "undefined statistic";
  const right = Math.sign(estimate) === expectedSign;
  if (adjustedP < rule.alpha) return right ? "reproduced" : "contradicted";
  return right ? "consistent in sign, not significant" : "opposite in sign, not significant";
}
