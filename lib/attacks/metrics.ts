/**
 * Summaries of per-sample attack outcomes (docs/method.md §5.4, docs/method.md §5).
 *
 * - Robust accuracy: the fraction of samples classified correctly both clean and under the attack.
 * - Area under the accuracy–ε curve: trapezoid rule over the points (ε, accuracy), with (0, clean accuracy)
 *   added when ε = 0 is not on the grid, divided by the largest ε. It is the mean robust accuracy over
 *   [0, ε_max] (1 = never fooled, clean accuracy = unaffected by the attack); ε is in pixel units.
 * - Worst case over attacks: a sample counts as robust at ε only if it survives every attack of that norm at
 *   that ε (per-sample ensemble, as AutoAttack).
 *
 * @module
 */
import type { CurvePoint } from "./checks.ts";

/** Mean of a 0/1 mask. */
export function accuracyOf(mask: Uint8Array): number {
  if (mask.length === 0) throw new Error("accuracyOf: no samples");
  let s = 0;
  for (const v of mask) s += v;
  return s / mask.length;
}

/**
 * Normalised area under the accuracy–ε curve (see the module doc).
 *
 * @example
 * curveArea([{ eps: 0, accuracy: 0.9 }, { eps: 0.1, accuracy: 0.5 }], 0.9); // (0.9 + 0.5) / 2 = 0.7
 */
export function curveArea(curve: CurvePoint[], cleanAccuracy: number): number {
  const pts = [...curve].sort((a, b) => a.eps - b.eps);
  if (pts.length === 0 || pts[pts.length - 1].eps <= 0) {
    throw new Error("curveArea: the curve needs a point with eps > 0");
  }
  if (pts[0].eps < 0) throw new Error(`curveArea: negative eps ${pts[0].eps}`);
  if (pts[0].eps > 0) pts.unshift({ eps: 0, accuracy: cleanAccuracy });
  let area = 0;
  for (let i = 1; i < pts.length; i++) {
    area += (pts[i].eps - pts[i - 1].eps) * (pts[i].accuracy + pts[i - 1].accuracy) / 2;
  }
  return area / pts[pts.length - 1].eps;
}

/** Per-sample AND of 0/1 masks of equal length. */
export function allOf(masks: Uint8Array[]): Uint8Array {
  if (masks.length === 0) throw new Error("allOf: no masks");
  const out = Uint8Array.from(masks[0]);
  for (const m of masks.slice(1)) {
    if (m.length !== out.length) throw new Error(`allOf: mask lengths ${m.length} and ${out.length} differ`);
    for (let i = 0; i < out.length; i++) out[i] &= m[i];
  }
  return out;
}
