/**
 * PCA eigenvalues of a sample matrix X (N samples × D features, docs/method.md §6 step 3): center the columns,
 * form the covariance XᵀX/(N−1) (D×D) or, when N < D, the Gram matrix XXᵀ/(N−1) (N×N, same non-zero
 * eigenvalues), both with tfjs (float32), then take the eigenvalues in float64 (lib/linalg).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
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
  return (await pcaEigenvaluesOfEach([x]))[0];
}

/**
 * Seconds spent in {@link pcaEigenvaluesOfEach}, added up over calls: `gram`, forming and reading the moment
 * matrices (on webgpu, the wait for the device); `eigen`, the float64 eigensolves on the CPU.
 */
export interface PcaTiming {
  gram: number;
  eigen: number;
}

/**
 * {@link pcaEigenvalues} of each matrix, with every moment matrix computed before any is read: on webgpu a
 * read waits at least 10 ms (bench/gpu/eval_reads.ts), and reads started together share the wait. When
 * `timing` is given, the seconds of each part are added to it.
 *
 * @example
 * const timing = { gram: 0, eigen: 0 };
 * const [a, b] = await pcaEigenvaluesOfEach([xClean, xNoisy], timing);
 */
export async function pcaEigenvaluesOfEach(
  xs: readonly tf.Tensor2D[],
  timing?: PcaTiming,
): Promise<Float64Array[]> {
  const t0 = performance.now();
  for (const x of xs) {
    if (x.shape[0] < 2) throw new Error(`PCA needs at least 2 samples, got ${x.shape[0]}`);
  }
  const moments = xs.map((x) =>
    tf.tidy(() => {
      const n = x.shape[0], d = x.shape[1];
      const centered = tf.sub(x, tf.mean(x, 0, true));
      return n < d
        ? tf.matMul(centered, centered, false, true) // N×N Gram
        : tf.matMul(centered, centered, true, false); // D×D scatter
    })
  );
  try {
    const scatters = await Promise.all(moments.map((m) => m.data()));
    const t1 = performance.now();
    const eigenvalues = xs.map((x, i) => {
      const [n, d] = x.shape;
      // Scaled in float64, so that exact float32 scatter entries (e.g. of integer data) stay exact.
      return symmetricEigenvalues(Float64Array.from(scatters[i], (v) => v / (n - 1)), Math.min(n, d));
    });
    if (timing) {
      timing.gram += (t1 - t0) / 1000;
      timing.eigen += (performance.now() - t1) / 1000;
    }
    return eigenvalues;
  } finally {
    tf.dispose(moments);
  }
}
