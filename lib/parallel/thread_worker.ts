/**
 * The worker side of a `ThreadPool` (thread_pool.ts): a worker module calls {@link serveThreadPool} once
 * with its handler; each request `{ id, request }` is answered `{ id, result }` (with the buffers the handler
 * names transferred) or `{ id, error }` with the error's message.
 *
 * @example
 * ```ts
 * // square_worker.ts
 * serveThreadPool((req: { n: number }) => ({ result: req.n * req.n }));
 * ```
 *
 * @module
 */
import { parentPort } from "node:worker_threads";

/** A handler's answer: the result and the buffers to hand back with it. */
export interface ThreadAnswer<Res> {
  result: Res;
  transfer?: ArrayBuffer[];
}

/** Serves the pool's requests with `handle`, one at a time, in the order they arrive. */
export function serveThreadPool<Req, Res>(handle: (request: Req) => ThreadAnswer<Res>): void {
  const port = parentPort;
  if (!port) {
    throw new Error("serveThreadPool: not in a worker thread (start this module through ThreadPool)");
  }
  port.on("message", ({ id, request }: { id: number; request: Req }) => {
    let answer: ThreadAnswer<Res>;
    try {
      answer = handle(request);
    } catch (err) {
      port.postMessage({ id, error: String((err as Error).message ?? err) });
      return;
    }
    port.postMessage({ id, result: answer.result }, answer.transfer ?? []);
  });
}
