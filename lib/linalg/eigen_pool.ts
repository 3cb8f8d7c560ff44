/**
 * Eigenvalues of many symmetric matrices on worker threads: {@link symmetricEigenvalues} of each matrix, the
 * same function and so the same bits as on the main thread, while the main thread goes on (measure-
 * dimensionality queues the next condition's device work meanwhile).
 *
 * Workers start when the pool is made, and each job is posted at once to the worker with the fewest jobs
 * outstanding, which works through its own queue. Nothing then waits for the main thread: with
 * `node:worker_threads` under Deno a worker boots, and a job held back in the pool would be handed over, only
 * when the main thread's event loop turns, and the wasm backend's kernels keep it busy for seconds at a time.
 * {@link EigenPool.close} stops the workers.
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
import { Worker } from "node:worker_threads";
import { symmetricEigenvalues } from "./symmetric_eigen.ts";

interface Job {
  resolve: (eigenvalues: Float64Array) => void;
  reject: (error: Error) => void;
  worker: Worker;
}

type Reply = { id: number; eigenvalues: Float64Array; seconds: number } | { id: number; error: string };

/** The default pool size: a worker per core but one, at most 4. */
export function defaultEigenWorkers(): number {
  return Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1));
}

/** Symmetric eigensolves on `size` worker threads (see the module doc). */
export class EigenPool {
  #workers: Worker[] = [];
  #outstanding = new Map<Worker, number>();
  #jobs = new Map<number, Job>();
  #nextId = 0;
  #closed = false;
  /** Seconds the workers spent solving, summed over workers. */
  solveSeconds = 0;

  /** A pool of `size` workers (default {@link defaultEigenWorkers}), started now. */
  constructor(size = defaultEigenWorkers()) {
    if (!Number.isInteger(size) || size < 1) {
      throw new Error(`EigenPool: size must be a positive integer, got ${size}`);
    }
    for (let i = 0; i < size; i++) this.#spawn();
  }

  /**
   * All eigenvalues of the symmetric `n×n` row-major `matrix`, descending, as {@link symmetricEigenvalues}
   * gives them. `matrix` is handed to a worker (its buffer is transferred; do not use it afterwards).
   */
  eigenvalues(matrix: Float64Array, n: number): Promise<Float64Array> {
    if (this.#closed) return Promise.reject(new Error("EigenPool: used after close()"));
    if (matrix.length !== n * n || this.#workers.length === 0) {
      // A malformed matrix gets the solver's own message at once; with every worker lost, the main thread solves.
      return Promise.resolve().then(() => symmetricEigenvalues(matrix, n));
    }
    const worker = this.#workers.reduce((
      a,
      b,
    ) => (this.#outstanding.get(b)! < this.#outstanding.get(a)! ? b : a));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#jobs.set(id, { resolve, reject, worker });
      this.#outstanding.set(worker, this.#outstanding.get(worker)! + 1);
      worker.postMessage({ id, matrix, n }, [matrix.buffer as ArrayBuffer]);
    });
  }

  /** Stop every worker; jobs not yet finished are rejected. */
  close(): void {
    this.#closed = true;
    for (const w of this.#workers) w.terminate();
    const error = new Error("EigenPool: closed before the eigensolve finished");
    for (const job of this.#jobs.values()) job.reject(error);
    this.#workers = [];
    this.#jobs.clear();
  }

  #spawn(): void {
    // node:worker_threads, as lib/backends/wasm/simd_pool.ts: in a stage process the global `Worker` can be
    // Node's (the wasm backend's threads), and one API serves both cases.
    const worker = new Worker(new URL("./eigen_worker.ts", import.meta.url));
    worker.on("message", (reply: Reply) => {
      const job = this.#jobs.get(reply.id);
      if (!job) return;
      this.#jobs.delete(reply.id);
      this.#outstanding.set(worker, this.#outstanding.get(worker)! - 1);
      if ("error" in reply) job.reject(new Error(reply.error));
      else {
        this.solveSeconds += reply.seconds;
        job.resolve(reply.eigenvalues);
      }
    });
    worker.on("error", (e: Error) => {
      // The worker is gone with its queue: its jobs fail, later ones go to the others.
      this.#workers = this.#workers.filter((w) => w !== worker);
      worker.terminate();
      for (const [id, job] of this.#jobs) {
        if (job.worker !== worker) continue;
        this.#jobs.delete(id);
        job.reject(new Error(`EigenPool: a worker failed: ${e.message}`));
      }
    });
    this.#workers.push(worker);
    this.#outstanding.set(worker, 0);
  }
}
