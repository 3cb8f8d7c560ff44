/**
 * One helper thread of {@link SimdPool} (simd_pool.ts): instantiates simd_kernels.wasm on the tfjs wasm heap,
 * then waits for jobs on the pool's control block and runs its share of each. Started by the pool through
 * `node:worker_threads` with the `workerData` below; it never posts messages.
 *
 * @module
 */
import { workerData } from "node:worker_threads";
import { CTRL, SIMD_KERNELS, type SimdWorkerData, waitForJob } from "./simd_protocol.ts";

const data = workerData as SimdWorkerData;
// Compiled here rather than received compiled: V8 then tiers this thread's copy up to optimised code after its
// first calls, while a module received from the pool's thread kept running baseline (Liftoff) code here, at
// half the speed.
const module = new WebAssembly.Module(data.bytes);
const instance = new WebAssembly.Instance(module, { env: { memory: data.memory } });
const exports = instance.exports as Record<string, unknown>;
(exports.__stack_pointer as WebAssembly.Global).value = data.stackTop;
const ctrl = new Int32Array(data.memory.buffer, data.ctrl, CTRL.words);
const args = new Float64Array(data.memory.buffer, data.ctrl + CTRL.argsByte, CTRL.maxArgs);

Atomics.add(ctrl, CTRL.ready, 1);
// Helpers start before the pool's first job, while `seq` is still 0.
let seen = 0;
for (;;) {
  seen = waitForJob(ctrl, seen);
  try {
    const fn = exports[SIMD_KERNELS[ctrl[CTRL.fn]]] as (...a: number[]) => void;
    fn(...args.subarray(0, ctrl[CTRL.nargs]), data.tid, data.threads, data.ctrl + CTRL.claimsByte);
  } catch (e) {
    Atomics.store(ctrl, CTRL.failed, data.tid);
    console.error(`simd_worker ${data.tid}: ${(e as Error).stack ?? e}`);
  }
  Atomics.add(ctrl, CTRL.done, 1);
  Atomics.notify(ctrl, CTRL.done);
}
