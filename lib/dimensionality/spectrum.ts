/**
 * Dimensionality of a representation from its PCA eigenvalues (docs/method.md §6 step 4): the number of principal
 * components needed to explain a share τ of the variance, and the participation ratio (Σλ)²/Σλ².
 *
 * @module
 */

/** Default τ (`dim.variance_threshold`, docs/method.md §6, unconfirmed). */
export const DEFAULT_VARIANCE_THRESHOLD = 0.95;

/** What {@link spectrumDimensionality} returns. */
export interface SpectrumDimensionality {
  /** Smallest k with Σ_{i≤k} λᵢ / Σλ ≥ τ; 0 when the total variance is 0. */
  components: number;
  /** (Σλ)² / Σλ²; 0 when the total variance is 0. */
  participationRatio: number;
  /** Σλ, the total variance. */
  totalVariance: number;
}

/**
 * Components at threshold `threshold` ∈ (0, 1] and participation ratio of `eigenvalues` (any order). Negative
 * eigenvalues (round-off of a positive semidefinite matrix) count as 0.
 *
 * @example
 * spectrumDimensionality([4, 1, 0], 0.75); // { components: 1, participationRatio: 25 / 17, totalVariance: 5 }
 * spectrumDimensionality([1, 1, 1, 1], 0.95).participationRatio; // 4
 */
export function spectrumDimensionality(
  eigenvalues: ArrayLike<number>,
  threshold = DEFAULT_VARIANCE_THRESHOLD,
): SpectrumDimensionality {
  if (!(threshold > 0 && threshold <= 1)) {
    throw new Error(`variance threshold must be in (0, 1], got ${threshold}`);
  }
  const lambda = Float64Array.from(eigenvalues, (x) => {
    if (Number.isNaN(x)) throw new Error("spectrumDimensionality: an eigenvalue is NaN");
    return Math.max(x, 0);
  }).sort().reverse();
  let total = 0, squares = 0;
  for (const x of lambda) {
    total += x;
    squares += x * x;
  }
  if (total === 0) return { components: 0, participationRatio: 0, totalVariance: 0 };
  let cumulative = 0;
  let components = lambda.length;
  for (let k = 0; k < lambda.length; k++) {
    cumulative += lambda[k];
    if (cumulative >= threshold * total) {
      components = k + 1;
      break;
    }
  }
  return { components, participationRatio: (total * total) / squares, totalVariance: total };
}
