/**
 * Holm's step-down adjustment of p-values for testing several hypotheses at once (Holm, 1979): it controls the
 * family-wise error rate (the chance of any false rejection) at the level the adjusted p-values are compared
 * with, under any dependence between the tests.
 *
 * @module
 */

/**
 * Holm-adjusted p-values, in the input order. With the m defined p-values sorted ascending p₍₁₎ ≤ … ≤ p₍ₘ₎,
 * p̃₍ᵢ₎ = max over j ≤ i of min(1, (m − j + 1)·p₍ⱼ₎). NaN entries are not part of the family (they stay NaN and
 * do not count in m).
 *
 * @example
 * ```ts
 * holmAdjust([0.01, 0.04, 0.03]); // [0.03, 0.06, 0.06]
 * ```
 */
export function holmAdjust(ps: readonly number[]): number[] {
  for (const p of ps) {
    if (p < 0 || p > 1) throw new Error(`holmAdjust: p-values must lie in [0, 1], got ${p}`);
  }
  const order = ps.map((p, i) => ({ p, i })).filter((e) => !Number.isNaN(e.p)).sort((a, b) => a.p - b.p);
  const m = order.length;
  const out = ps.map(() => NaN);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}
