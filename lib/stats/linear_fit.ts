/**
 * Ordinary least-squares line y ≈ intercept + slope·x.
 *
 * @module
 */
import { type Numbers, pairedMoments, requireFinite } from "./descriptive.ts";

/** The fitted line and its goodness of fit. */
export interface LinearFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination 1 − SS_res/SS_tot; NaN when y is constant. */
  r2: number;
  n: number;
}

/**
 * Least-squares fit of y on x. Needs n ≥ 2 paired finite values and x not constant.
 *
 * @example
 * ```ts
 * linearFit([0, 1, 2], [1, 3, 5]); // { slope: 2, intercept: 1, r2: 1, n: 3 }
 * ```
 */
export function linearFit(x: Numbers, y: Numbers): LinearFit {
  if (x.length !== y.length) throw new Error(`linearFit: x has ${x.length} values but y has ${y.length}`);
  requireFinite(x, 2, "linearFit (x)");
  requireFinite(y, 2, "linearFit (y)");
  const n = x.length;
  const { mx, my, sxx, syy, sxy } = pairedMoments(x, y);
  if (sxx === 0) throw new Error("linearFit: all x values are equal, so the slope is undefined");
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssRes = 0;
  for (let i = 0; i < n; i++) ssRes += (y[i] - intercept - slope * x[i]) ** 2;
  const r2 = syy === 0 ? NaN : 1 - ssRes / syy;
  return { slope, intercept, r2, n };
}
