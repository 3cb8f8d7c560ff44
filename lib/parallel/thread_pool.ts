/**
 * A pool of worker threads running one worker module's handler (lib/parallel/thread_worker.ts) on requests
 * while the main thread goes on: measure-dimensionality's eigensolves (lib/linalg/eigen_pool.ts) and
 * corrupt-data's corrupted sets (lib/corruptions/corrupted_sets.ts).
 *
 * Workers start when the pool is made, and each request is posted at once to the worker with the fewest
 * requests outstanding, which works through its own queue. Nothing then waits for the main thread: with
 * `node:worker_threads` under Deno a worker boots, and a request held back in the pool would be handed over,
 * only when the main thread's event loop turns, and the wasm backend's kernels keep it busy for seconds at a
 * time. `node:worker_threads` rather than the global `Worker`: in a stage process the global can be Node's (the
 * wasm backend's threads), and one API serves both cases. A worker that fails takes its outstanding requests
 * with it (they are rejected naming the pool); later requests go to the others. {@link ThreadPool.close} stops
 * the workers and rejects what is not done.
 *
 * @example
 * ```ts
 * const pool = new ThreadPool<{ n: number }, number>("SquarePool", new URL("./square_worker.ts", import.meta.url), 2);
 * try {
 *   await pool.run({ n: 3 }); // 9, computed on a worker
 * } finally {
 *   pool.close();
 * }
 * ```
 *
 * @module
 */
import { Worker } from "node:worker_threads";

interface Pending<Res> {
  resolve: (result: Res) => void;
  reject: (error: Error) => void;
  worker: Worker;
}

/** A worker's answer to request `id` (thread_worker.ts sends it). */
export type ThreadReply<Res> = { id: number; result: Res } | { id: number; error: string };

/** Worker threads serving one module's handler (see the module doc). */
export class ThreadPool<Req, Res> {
  #workers: Worker[] = [];
  #outstanding = new Map<Worker, number>();
  #pending = new Map<number, Pending<Res>>();
  #nextId = 0;
  #closed = false;

  /** `size` workers running `workerUrl`, started now; `name` heads error messages. */
  constructor(readonly name: string, readonly workerUrl: URL, size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new Error(`${name}: size must be a positive integer, got ${size}`);
    }
    for (let i = 0; i < size; i++) this.#spawn();
  }

  /** Whether {@link ThreadPool.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Workers still alive (fewer than started when some failed; none after close). */
  get alive(): number {
    return this.#workers.length;
  }

  /**
   * The handler's result for `request`, from the least-loaded worker. The buffers in `transfer` are handed
   * over (do not use them afterwards).
   */
  run(request: Req, transfer: ArrayBuffer[] = []): Promise<Res> {
    if (this.#closed) return Promise.reject(new Error(`${this.name}: used after close()`));
    if (this.#workers.length === 0) return Promise.reject(new Error(`${this.name}: every worker failed`));
    const worker = this.#workers.reduce((a, b) =>
      this.#outstanding.get(b)! < this.#outstanding.get(a)! ? b : a
    );
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, worker });
      this.#outstanding.set(worker, this.#outstanding.get(worker)! + 1);
      worker.postMessage({ id, request }, transfer);
    });
  }

  /** Stops every worker; requests not yet answered are rejected. */
  close(): void {
    this.#closed = true;
    for (const w of this.#workers) w.terminate();
    const error = new Error(`${this.name}: closed before the work finished`);
    for (const p of this.#pending.values()) p.reject(error);
    this.#workers = [];
    this.#pending.clear();
  }

  #spawn(): void {
    const worker = new Worker(this.workerUrl);
    worker.on("message", (reply: ThreadReply<Res>) => {
      const p = this.#pending.get(reply.id);
      if (!p) return;
      this.#pending.delete(reply.id);
      this.#outstanding.set(worker, this.#outstanding.get(worker)! - 1);
      if ("error" in reply) p.reject(new Error(reply.error));
      else p.resolve(reply.result);
    });
    worker.on("error", (e: Error) => {
      this.#workers = this.#workers.filter((w) => w !== worker);
      worker.terminate();
      for (const [id, p] of this.#pending) {
        if (p.worker !== worker) continue;
        this.#pending.delete(id);
        p.reject(new Error(`${this.name}: a worker failed: ${e.message}`));
      }
    });
    this.#workers.push(worker);
    this.#outstanding.set(worker, 0);
  }
}
