/**
 * Worker of {@link EigenPool} (eigen_pool.ts): computes {@link symmetricEigenvalues} off the main thread.
 * Started through `node:worker_threads`; receives `{ id, matrix, n }`, answers `{ id, eigenvalues, seconds }`
 * (the array transferred back) or `{ id, error }`.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { symmetricEigenvalues } from "./symmetric_eigen.ts";

const port = parentPort!;
port.on("message", ({ id, matrix, n }: { id: number; matrix: Float64Array; n: number }) => {
  try {
    const t0 = performance.now();
    const eigenvalues = symmetricEigenvalues(matrix, n);
    const seconds = (performance.now() - t0) / 1000;
    port.postMessage({ id, eigenvalues, seconds }, [eigenvalues.buffer as ArrayBuffer]);
  } catch (err) {
    port.postMessage({ id, error: String((err as Error).message ?? err) });
  }
});
