/**
 * Eigenvalues of many symmetric matrices on worker threads: {@link symmetricEigenvalues} of each matrix, the
 * same function and so the same bits as on the main thread, while the main thread goes on (measure-
 * dimensionality queues the next condition's GPU work meanwhile). Workers start on first use, at most `size`;
 * {@link EigenPool.close} stops them.
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
  id: number;
  matrix: Float64Array;
  n: number;
  resolve: (eigenvalues: Float64Array) => void;
  reject: (error: Error) => void;
}

type Reply = { id: number; eigenvalues: Float64Array; seconds: number } | { id: number; error: string };

/** The default pool size: a worker per core but one, at most 4. */
export function defaultEigenWorkers(): number {
  return Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1));
}

/** Symmetric eigensolves on up to `size` worker threads (see the module doc). */
export class EigenPool {
  readonly #size: number;
  #idle: Worker[] = [];
  #all: Worker[] = [];
  #queue: Job[] = [];
  #running = new Map<Worker, Job>();
  #nextId = 0;
  #closed = false;
  /** Seconds the workers spent solving, summed over workers. */
  solveSeconds = 0;

  /** A pool of at most `size` workers (default {@link defaultEigenWorkers}). */
  constructor(size = defaultEigenWorkers()) {
    if (!Number.isInteger(size) || size < 1) {
      throw new Error(`EigenPool: size must be a positive integer, got ${size}`);
    }
    this.#size = size;
  }

  /**
   * All eigenvalues of the symmetric `n×n` row-major `matrix`, descending, as {@link symmetricEigenvalues}
   * gives them. `matrix` is handed to a worker (its buffer is transferred; do not use it afterwards).
   */
  eigenvalues(matrix: Float64Array, n: number): Promise<Float64Array> {
    if (this.#closed) return Promise.reject(new Error("EigenPool: used after close()"));
    if (matrix.length !== n * n) {
      // The same message as on the main thread, at once.
      return Promise.resolve().then(() => symmetricEigenvalues(matrix, n));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, matrix, n, resolve, reject });
      this.#pump();
    });
  }

  /** Stop every worker; jobs not yet finished are rejected. */
  close(): void {
    this.#closed = true;
    for (const w of this.#all) w.terminate();
    const error = new Error("EigenPool: closed before the eigensolve finished");
    for (const job of [...this.#running.values(), ...this.#queue]) job.reject(error);
    this.#all = [];
    this.#idle = [];
    this.#queue = [];
    this.#running.clear();
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const worker = this.#idle.pop() ?? (this.#all.length < this.#size ? this.#spawn() : undefined);
      if (!worker) return;
      const job = this.#queue.shift()!;
      this.#running.set(worker, job);
      worker.postMessage({ id: job.id, matrix: job.matrix, n: job.n }, [job.matrix.buffer as ArrayBuffer]);
    }
  }

  #spawn(): Worker {
    // node:worker_threads, as lib/backends/wasm/simd_pool.ts: in a stage process the global `Worker` can be
    // Node's (the wasm backend's threads), and one API serves both cases.
    const worker = new Worker(new URL("./eigen_worker.ts", import.meta.url));
    worker.on("message", (reply: Reply) => {
      const job = this.#running.get(worker);
      this.#running.delete(worker);
      this.#idle.push(worker);
      if (job && job.id === reply.id) {
        if ("error" in reply) job.reject(new Error(reply.error));
        else {
          this.solveSeconds += reply.seconds;
          job.resolve(reply.eigenvalues);
        }
      }
      this.#pump();
    });
    worker.on("error", (e: Error) => {
      const job = this.#running.get(worker);
      this.#running.delete(worker);
      this.#all = this.#all.filter((w) => w !== worker);
      this.#idle = this.#idle.filter((w) => w !== worker);
      worker.terminate();
      job?.reject(new Error(`EigenPool: a worker failed: ${e.message}`));
      this.#pump();
    });
    this.#all.push(worker);
    return worker;
  }
}
