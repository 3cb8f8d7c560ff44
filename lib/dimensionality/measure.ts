/**
 * Dimensionality of layer representations (docs/method.md §6): PCA eigenvalues (pca.ts) → components at a variance
 * threshold and participation ratio (spectrum.ts), for clean representations X and for a perturbation's
 * change ΔX = X_pert − X_clean (and X_pert itself, for the secondary dim(X_pert) − dim(X_clean)).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { pcaEigenvaluesOfEach, type PcaTiming } from "./pca.ts";
import { type SpectrumDimensionality, spectrumDimensionality } from "./spectrum.ts";

/**
 * Dimensionality of each sample matrix [N, D], read from the device together (pca.ts); `timing` as there.
 * Disposes nothing.
 */
export async function dimensionalitiesOf(
  xs: readonly tf.Tensor2D[],
  threshold: number,
  timing?: PcaTiming,
): Promise<SpectrumDimensionality[]> {
  return (await pcaEigenvaluesOfEach(xs, timing)).map((lambda) => spectrumDimensionality(lambda, threshold));
}

/** One layer under one perturbation. */
export interface PerturbationDimensionality {
  /** Of ΔX = X_pert − X_clean. */
  delta: SpectrumDimensionality;
  /** Of X_pert (when asked for). */
  perturbed?: SpectrumDimensionality;
}

/**
 * Per layer, the dimensionality of ΔX and of X_pert, for representations `clean[l]` and `perturbed[l]` of the
 * same samples in the same order; `timing` as in pca.ts. Disposes nothing.
 *
 * @example
 * const perLayer = await perturbationDimensionality(clean.features, noisy.features, 0.95);
 */
export async function perturbationDimensionality(
  clean: tf.Tensor2D[],
  perturbed: tf.Tensor2D[],
  threshold: number,
  withPerturbed = true,
  timing?: PcaTiming,
): Promise<PerturbationDimensionality[]> {
  if (clean.length !== perturbed.length) {
    throw new Error(
      `perturbationDimensionality: ${clean.length} clean layers vs ${perturbed.length} perturbed`,
    );
  }
  const deltas = clean.map((c, l) => tf.sub(perturbed[l], c) as tf.Tensor2D);
  try {
    const dims = await dimensionalitiesOf(
      withPerturbed ? [...deltas, ...perturbed] : deltas,
      threshold,
      timing,
    );
    return deltas.map((_, l) => ({
      delta: dims[l],
      ...(withPerturbed ? { perturbed: dims[deltas.length + l] } : {}),
    }));
  } finally {
    tf.dispose(deltas);
  }
}
