/**
 * PCA eigenvalues of a sample matrix X (N samples × D features, docs/method.md §6 step 3): center the columns,
 * form the covariance XᵀX/(N−1) (D×D) or, when N < D, the Gram matrix XXᵀ/(N−1) (N×N, same non-zero
 * eigenvalues), both with tfjs (float32), then take the eigenvalues in float64 (lib/linalg). The two phases are
 * separate functions too ({@link momentMatrices} on the device, {@link momentEigenvalues} on the CPU, on worker
 * threads when given an {@link EigenPool}), so a caller can queue more device work while the CPU solves.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { EigenPool } from "../linalg/eigen_pool.ts";
import { symmetricEigenvalues } from "../linalg/symmetric_eigen.ts";

/**
 * Eigenvalues (descending) of the sample covariance of the rows of `x` [N, D], N ≥ 2. Their count is
 * min(N, D). Does not dispose `x`.
 *
 * @example
 * const lambda = await pcaEigenvalues(tf.tensor2d([[1, 1], [-1, -1], [1, -1], [-1, 1]]));
 * // covariance diag(4/3, 4/3) → [4/3, 4/3]
 */
export async function pcaEigenvalues(x: tf.Tensor2D): Promise<Float64Array> {
  return (await momentEigenvalues(await momentMatrices([x])))[0];
}

/** A moment matrix read from the device: row-major `order×order`, float64, already divided by N − 1. */
export interface MomentMatrix {
  values: Float64Array;
  order: number;
}

/** Moment matrices computed on the backend and not yet read ({@link queueMomentMatrices}). */
export interface QueuedMoments {
  /** Reads them all at once, then disposes them. */
  read(): Promise<MomentMatrix[]>;
}

/**
 * The moment matrix of each sample matrix (Gram when N < D, else covariance; see the module doc), queued on
 * the backend and left unread, so that a caller can queue more work before the one read that takes it all: on
 * webgpu a read first waits for the GPU to finish everything queued, then at least 10 ms more
 * (bench/gpu/eval_reads.ts), and reads started together share the wait. Does not dispose `xs` (they may be
 * disposed once this returns).
 *
 * @example
 * const queued = queueMomentMatrices([x]);
 * x.dispose();
 * const [m] = await queued.read();
 */
export function queueMomentMatrices(xs: readonly tf.Tensor2D[]): QueuedMoments {
  for (const x of xs) {
    if (x.shape[0] < 2) throw new Error(`PCA needs at least 2 samples, got ${x.shape[0]}`);
  }
  const shapes = xs.map((x) => x.shape);
  const moments = xs.map((x) =>
    tf.tidy(() => {
      const n = x.shape[0], d = x.shape[1];
      const centered = tf.sub(x, tf.mean(x, 0, true));
      return n < d
        ? tf.matMul(centered, centered, false, true) // N×N Gram
        : tf.matMul(centered, centered, true, false); // D×D scatter
    })
  );
  return {
    async read() {
      try {
        const scatters = await Promise.all(moments.map((m) => m.data()));
        return shapes.map(([n, d], i) => {
          // Scaled in float64, so that exact float32 scatter entries (e.g. of integer data) stay exact; a plain
          // loop, as `Float64Array.from(xs, f)` walks the iterator protocol.
          const scatter = scatters[i], values = new Float64Array(scatter.length);
          for (let k = 0; k < scatter.length; k++) values[k] = scatter[k] / (n - 1);
          return { values, order: Math.min(n, d) };
        });
      } finally {
        tf.dispose(moments);
      }
    },
  };
}

/**
 * The moment matrix of each sample matrix ({@link queueMomentMatrices}), read. Does not dispose `xs`.
 *
 * @example
 * const [m] = await momentMatrices([tf.tensor2d([[1, 7], [2, 9], [3, 11]])]);
 * m.order; // 2 (covariance: N = 3 > D = 2)
 */
export function momentMatrices(xs: readonly tf.Tensor2D[]): Promise<MomentMatrix[]> {
  return queueMomentMatrices(xs).read();
}

/**
 * The eigenvalues (descending) of each moment matrix: on `pool`'s workers when given (the matrices are handed
 * over), else here. The same function either way, so the same bits.
 *
 * @example
 * const lambdas = await momentEigenvalues(await momentMatrices([x]), pool);
 */
export function momentEigenvalues(ms: readonly MomentMatrix[], pool?: EigenPool): Promise<Float64Array[]> {
  if (pool) return Promise.all(ms.map((m) => pool.eigenvalues(m.values, m.order)));
  return Promise.resolve().then(() => ms.map((m) => symmetricEigenvalues(m.values, m.order)));
}
