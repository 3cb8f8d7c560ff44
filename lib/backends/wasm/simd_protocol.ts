/**
 * The control block {@link SimdPool} (simd_pool.ts) shares with its helper threads (simd_worker.ts): a few
 * int32 words and the float64 arguments of the current job, on the tfjs wasm heap.
 *
 * A job: the pool writes the kernel index and arguments, zeroes `claims` and `done`, then increments `seq` and
 * wakes the helpers; each helper runs its share, increments `done` and wakes the pool.
 *
 * @example
 * ```ts
 * const ctrl = new Int32Array(memory.buffer, address, CTRL.words);
 * let seen = 0;
 * seen = waitForJob(ctrl, seen); // returns when ctrl[CTRL.seq] moves past `seen`
 * ```
 *
 * @module
 */

/** The kernels simd_kernels.wasm exports; a job names one by its index here. */
export const SIMD_KERNELS = [
  "conv2d_filter_grad",
  "max_pool_grad",
  "channel_partials",
  "channel_finish",
  "bn_apply",
  "bn_grad_input",
  "sum_middle",
  "winograd_filter",
  "winograd_conv",
  "winograd_filter_grad",
  "winograd_filter_grad_finish",
  "filter_swap_channels",
  "conv2d_input_grad",
  "relu_grad",
  "slice4",
] as const;
/** One of {@link SIMD_KERNELS}. */
export type SimdKernelName = typeof SIMD_KERNELS[number];

/** Word index of the work-item counter (see {@link CTRL}). */
const CLAIMS = 6;

/** Word indices of the control block, and its size. */
export const CTRL = {
  /** Incremented once per job. */
  seq: 0,
  /** Helpers that finished the current job. */
  done: 1,
  /** Index of the kernel in {@link SIMD_KERNELS}. */
  fn: 2,
  /** Number of arguments. */
  nargs: 3,
  /** 0, or the thread index of a helper whose kernel threw. */
  failed: 4,
  /** Helpers that have instantiated the module and wait for jobs. */
  ready: 5,
  /** The next work item of the current job: zeroed by the pool, counted up by the kernels (simd/common.h). */
  claims: CLAIMS,
  /** Byte offset of `claims`, the address kernels take as their last argument. */
  claimsByte: 4 * CLAIMS,
  /** int32 words before the arguments. */
  words: 8,
  /** Byte offset of the float64 arguments. */
  argsByte: 32,
  /** Most arguments a kernel takes (before the thread index and count). */
  maxArgs: 32,
  /** Bytes of the whole block. */
  bytes: 32 + 8 * 32,
} as const;

/** What a helper thread is started with. */
export interface SimdWorkerData {
  /** The bytes of the module to run (the helper compiles its own copy). */
  bytes: Uint8Array<ArrayBuffer>;
  memory: WebAssembly.Memory;
  /** Heap address of the control block. */
  ctrl: number;
  /** Top of this thread's stack block on the heap. */
  stackTop: number;
  /** This thread's index (1 … threads − 1; the pool's own thread is 0). */
  tid: number;
  threads: number;
}

/** Blocks until `ctrl[seq]` differs from `seen`; returns the new value. */
export function waitForJob(ctrl: Int32Array, seen: number): number {
  for (;;) {
    const now = Atomics.load(ctrl, CTRL.seq);
    if (now !== seen) return now;
    Atomics.wait(ctrl, CTRL.seq, seen);
  }
}
