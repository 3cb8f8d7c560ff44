/**
 * Worker of {@link EigenPool} (eigen_pool.ts): computes {@link symmetricEigenvalues} off the main thread and
 * hands the eigenvalues back with the seconds the solve took. eigen_pool.ts imports only its types.
 *
 * @module
 */
import { serveThreadPool } from "../parallel/thread_worker.ts";
import { symmetricEigenvalues } from "./symmetric_eigen.ts";

/** One eigenproblem: a row-major `n×n` symmetric matrix. */
export interface EigenRequest {
  matrix: Float64Array;
  n: number;
}

/** Its eigenvalues (descending) and the solve's seconds. */
export interface EigenReply {
  eigenvalues: Float64Array;
  seconds: number;
}

serveThreadPool<EigenRequest, EigenReply>(({ matrix, n }) => {
  const t0 = performance.now();
  const eigenvalues = symmetricEigenvalues(matrix, n);
  return {
    result: { eigenvalues, seconds: (performance.now() - t0) / 1000 },
    transfer: [eigenvalues.buffer as ArrayBuffer],
  };
});
