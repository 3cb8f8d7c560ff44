/**
 * Variability of input–unit gradient norms (docs/method.md §7), from s[u][i] = ‖g_u(xᵢ)‖ of one layer:
 *
 * - across samples: per unit, std/mean of s_u over the samples, then the mean over units;
 * - across units: per sample, std/mean of s(xᵢ) over the units, then the mean over samples.
 *
 * Units whose mean norm is 0 (no gradient on any sample, e.g. dead units) are excluded from both. A sample whose
 * norms are 0 for every remaining unit has no across-unit CV and is left out of that mean (and counted). The
 * standard deviation is the population one (divisor n). The plain std is reported next to each CV.
 *
 * @module
 */

/** Variability summary of one layer. */
export interface GradientVariability {
  units: number;
  /** Units with mean norm 0, excluded. */
  excluded_units: number;
  samples: number;
  /** Mean of s over included units and all samples. */
  mean_norm: number | null;
  across_samples: {
    /** Mean over included units of std_i(s_u)/mean_i(s_u). */
    cv: number | null;
    /** Mean over included units of std_i(s_u). */
    std: number | null;
    /** Per-unit CV, unit order; null for excluded units. */
    per_unit_cv: (number | null)[];
  };
  across_units: {
    /** Mean over samples of std_u(s(xᵢ))/mean_u(s(xᵢ)). */
    cv: number | null;
    /** Mean over samples of std_u(s(xᵢ)). */
    std: number | null;
    /** Samples left out of the CV mean because every included unit had norm 0 on them. */
    samples_without_gradient: number;
  };
}

function meanStd(xs: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i];
  const mean = sum / xs.length;
  let sq = 0;
  for (let i = 0; i < xs.length; i++) sq += (xs[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / xs.length) };
}

function average(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Across-sample and across-unit variability of the norms `s[u][i]` (units × samples, all ≥ 0).
 *
 * @example
 * const v = gradientVariability([Float64Array.of(1, 3), Float64Array.of(2, 2), Float64Array.of(0, 0)]);
 * v.excluded_units;    // 1 (unit 2 never has a gradient)
 * v.across_samples.cv; // mean(0.5, 0) = 0.25
 */
export function gradientVariability(s: ArrayLike<number>[]): GradientVariability {
  const units = s.length;
  if (units === 0) throw new Error("gradientVariability: no units");
  const samples = s[0].length;
  if (samples === 0 || s.some((r) => r.length !== samples)) {
    throw new Error("gradientVariability: every unit needs the same, non-zero number of samples");
  }
  const perUnit = s.map((row) => meanStd(row));
  const included = perUnit.flatMap((m, u) => (m.mean > 0 ? [u] : []));
  const perUnitCV = perUnit.map((m) => (m.mean > 0 ? m.std / m.mean : null));
  const unitCVs: number[] = [], sampleStds: number[] = [];
  let withoutGradient = 0;
  let total = 0;
  const column = new Float64Array(included.length);
  for (let i = 0; i < samples && included.length > 0; i++) {
    included.forEach((u, k) => (column[k] = s[u][i]));
    const { mean, std } = meanStd(column);
    total += mean;
    sampleStds.push(std);
    if (mean > 0) unitCVs.push(std / mean);
    else withoutGradient++;
  }
  return {
    units,
    excluded_units: units - included.length,
    samples,
    mean_norm: included.length > 0 ? total / samples : null,
    across_samples: {
      cv: average(included.map((u) => perUnitCV[u]!)),
      std: average(included.map((u) => perUnit[u].std)),
      per_unit_cv: perUnitCV,
    },
    across_units: {
      cv: average(unitCVs),
      std: average(sampleStds),
      samples_without_gradient: withoutGradient,
    },
  };
}
