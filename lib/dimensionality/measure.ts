/**
 * Dimensionality of layer representations (docs/method.md §6): PCA eigenvalues (pca.ts) → components at a variance
 * threshold and participation ratio (spectrum.ts), for clean representations X and for a perturbation's
 * change ΔX = X_pert − X_clean (and X_pert itself, for the secondary dim(X_pert) − dim(X_clean)). Each comes
 * in one call, or in its two phases (moment matrices from the device, then eigenvalues on the CPU, on an
 * {@link EigenPool}'s workers when given) for a caller that queues more device work in between.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { EigenPool } from "../linalg/eigen_pool.ts";
import { momentEigenvalues, momentMatrices, type MomentMatrix, queueMomentMatrices } from "./pca.ts";
import { type SpectrumDimensionality, spectrumDimensionality } from "./spectrum.ts";

/**
 * Dimensionality of each moment matrix (pca.ts {@link momentMatrices}), on `pool`'s workers when given.
 *
 * @example
 * const dims = await dimensionalitiesOfMoments(await momentMatrices(clean.features), 0.95, pool);
 */
export async function dimensionalitiesOfMoments(
  moments: readonly MomentMatrix[],
  threshold: number,
  pool?: EigenPool,
): Promise<SpectrumDimensionality[]> {
  return (await momentEigenvalues(moments, pool)).map((lambda) => spectrumDimensionality(lambda, threshold));
}

/** Dimensionality of each sample matrix [N, D], read from the device together (pca.ts). Disposes nothing. */
export async function dimensionalitiesOf(
  xs: readonly tf.Tensor2D[],
  threshold: number,
): Promise<SpectrumDimensionality[]> {
  return await dimensionalitiesOfMoments(await momentMatrices(xs), threshold);
}

/** One layer under one perturbation. */
export interface PerturbationDimensionality {
  /** Of ΔX = X_pert − X_clean. */
  delta: SpectrumDimensionality;
  /** Of X_pert (when asked for). */
  perturbed?: SpectrumDimensionality;
}

/** The device phase of {@link perturbationDimensionality}: the moment matrices it needs, read. */
export interface PerturbationMoments {
  /** Per layer, ΔX's; then, when `withPerturbed`, X_pert's. */
  moments: MomentMatrix[];
  withPerturbed: boolean;
}

/**
 * The moment matrices of ΔX per layer (and of X_pert when `withPerturbed`), for representations `clean[l]` and
 * `perturbed[l]` of the same samples in the same order, queued on the backend; `read` takes them (pca.ts
 * {@link queueMomentMatrices}). Disposes nothing; the representations may be disposed once this returns.
 *
 * @example
 * const queued = queuePerturbationMoments(clean.features, noisy.features, false);
 * tf.dispose(noisy.features); // the device's part is queued
 * const perLayer = await perturbationDimensionalityOf(await queued.read(), 0.95, pool);
 */
export function queuePerturbationMoments(
  clean: tf.Tensor2D[],
  perturbed: tf.Tensor2D[],
  withPerturbed: boolean,
): { read(): Promise<PerturbationMoments> } {
  if (clean.length !== perturbed.length) {
    throw new Error(
      `perturbationDimensionality: ${clean.length} clean layers vs ${perturbed.length} perturbed`,
    );
  }
  const deltas = clean.map((c, l) => tf.sub(perturbed[l], c) as tf.Tensor2D);
  try {
    const queued = queueMomentMatrices(withPerturbed ? [...deltas, ...perturbed] : deltas);
    return { read: async () => ({ moments: await queued.read(), withPerturbed }) };
  } finally {
    tf.dispose(deltas);
  }
}

/**
 * {@link queuePerturbationMoments}, read. Disposes nothing.
 *
 * @example
 * const pending = await perturbationMoments(clean.features, noisy.features, false);
 * tf.dispose(noisy.features); // the device's part is done
 * const perLayer = await perturbationDimensionalityOf(pending, 0.95, pool);
 */
export function perturbationMoments(
  clean: tf.Tensor2D[],
  perturbed: tf.Tensor2D[],
  withPerturbed: boolean,
): Promise<PerturbationMoments> {
  return queuePerturbationMoments(clean, perturbed, withPerturbed).read();
}

/** The CPU phase of {@link perturbationDimensionality}, on `pool`'s workers when given. */
export async function perturbationDimensionalityOf(
  pending: PerturbationMoments,
  threshold: number,
  pool?: EigenPool,
): Promise<PerturbationDimensionality[]> {
  const dims = await dimensionalitiesOfMoments(pending.moments, threshold, pool);
  const layers = pending.withPerturbed ? dims.length / 2 : dims.length;
  return dims.slice(0, layers).map((delta, l) => ({
    delta,
    ...(pending.withPerturbed ? { perturbed: dims[layers + l] } : {}),
  }));
}

/**
 * Per layer, the dimensionality of ΔX and of X_pert, for representations `clean[l]` and `perturbed[l]` of the
 * same samples in the same order. Disposes nothing.
 *
 * @example
 * const perLayer = await perturbationDimensionality(clean.features, noisy.features, 0.95);
 */
export async function perturbationDimensionality(
  clean: tf.Tensor2D[],
  perturbed: tf.Tensor2D[],
  threshold: number,
  withPerturbed = true,
): Promise<PerturbationDimensionality[]> {
  return await perturbationDimensionalityOf(
    await perturbationMoments(clean, perturbed, withPerturbed),
    threshold,
  );
}
