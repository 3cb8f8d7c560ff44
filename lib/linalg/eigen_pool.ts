/**
 * Eigenvalues of many symmetric matrices on worker threads (lib/parallel/thread_pool.ts):
 * {@link symmetricEigenvalues} of each matrix, the same function and so the same bits as on the main thread,
 * while the main thread goes on (measure-dimensionality queues the next condition's device work meanwhile).
 * {@link EigenPool.close} stops the workers. {@link sharedEigenPool} is one pool for the whole process, for
 * processes that run many measurements one after another (the runner's stage hosts): starting a worker costs
 * the main thread about 0.1 s (0.48 s of an H100 host's measure-dimensionality went to starting its four).
 *
 * @example
 * ```ts
 * const pool = new EigenPool(2);
 * try {
 *   const [a, b] = await Promise.all([pool.eigenvalues(Float64Array.of(2, 1, 1, 2), 2), pool.eigenvalues(m, 300)]);
 *   a; // Float64Array [3, 1]
 * } finally {
 *   pool.close();
 * }
 * ```
 *
 * @module
 */
import { ThreadPool } from "../parallel/thread_pool.ts";
import { symmetricEigenvalues } from "./symmetric_eigen.ts";
import type { EigenReply, EigenRequest } from "./eigen_worker.ts";

/** The default pool size: a worker per core but one, at most 4. */
export function defaultEigenWorkers(): number {
  return Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1));
}

/** Symmetric eigensolves on `size` worker threads (see the module doc). */
export class EigenPool {
  #pool: ThreadPool<EigenRequest, EigenReply>;
  /** Seconds the workers spent solving, summed over workers. */
  solveSeconds = 0;

  /** A pool of `size` workers (default {@link defaultEigenWorkers}), started now. */
  constructor(size = defaultEigenWorkers()) {
    this.#pool = new ThreadPool("EigenPool", new URL("./eigen_worker.ts", import.meta.url), size);
  }

  /**
   * All eigenvalues of the symmetric `n×n` row-major `matrix`, descending, as {@link symmetricEigenvalues}
   * gives them. `matrix` is handed to a worker (its buffer is transferred; do not use it afterwards).
   */
  async eigenvalues(matrix: Float64Array, n: number): Promise<Float64Array> {
    if (!this.#pool.closed && (matrix.length !== n * n || this.#pool.alive === 0)) {
      // A malformed matrix gets the solver's own message at once; with every worker lost, the main thread solves.
      await Promise.resolve();
      return symmetricEigenvalues(matrix, n);
    }
    const reply = await this.#pool.run({ matrix, n }, [matrix.buffer as ArrayBuffer]);
    this.solveSeconds += reply.seconds;
    return reply.eigenvalues;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#pool.closed;
  }

  /** Workers alive. */
  get alive(): number {
    return this.#pool.alive;
  }

  /** Stop every worker; jobs not yet finished are rejected. */
  close(): void {
    this.#pool.close();
  }
}

let shared: EigenPool | null = null;

/**
 * The process's shared pool (default size), started on the first call and kept, so that later calls find
 * their workers running; a process that runs it must end with `Deno.exit` (stage processes and stage hosts
 * do) or call {@link closeSharedEigenPool}, as live workers keep it alive. A pool whose workers all died is
 * replaced.
 *
 * @example
 * ```ts
 * const lambdas = await sharedEigenPool().eigenvalues(matrix, 300);
 * ```
 */
export function sharedEigenPool(): EigenPool {
  if (shared === null || shared.closed || shared.alive === 0) shared = new EigenPool();
  return shared;
}

/** Stops the shared pool's workers (the next {@link sharedEigenPool} starts new ones). */
export function closeSharedEigenPool(): void {
  shared?.close();
  shared = null;
}
