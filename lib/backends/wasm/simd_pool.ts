/**
 * Runs our own SIMD kernels (the C files of simd/, built into simd_kernels.wasm by build_simd.ts) on the tfjs wasm
 * backend's heap, on as many threads as the backend has.
 *
 * The module imports the backend's `WebAssembly.Memory`, so kernels read and write tensors in place: their
 * pointer arguments are the tensors' heap addresses. A job runs on the pool's own thread (thread 0) and on
 * `threads − 1` helpers (simd_worker.ts, `node:worker_threads`, unref'd so they never keep a process alive).
 * Most kernels split their outputs into work items that each thread takes, one at a time, from a counter in
 * the control block: a thread the system slows down (the second core busy elsewhere) then takes fewer items
 * instead of holding the job up, as a fixed half would. A call returns when every thread is done, and fails
 * with a clear error if helpers never start. On tfjs's single-threaded binary (`threads: 1`) the memory is not
 * shared, so the pool runs the same code (simd_kernels_plain.wasm) on its own thread only. Which thread
 * computes an item never changes its bits, so the thread count is a speed setting only.
 *
 * @example
 * ```ts
 * const pool = SimdPool.of(backend); // the wasm backend's pool, created on first use
 * pool.run("max_pool_grad", [x, dy, dx, N, H, W, C, Ho, Wo, fh, fw, sh, sw, top, left]);
 * ```
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { CTRL, SIMD_KERNELS, type SimdKernelName, type SimdWorkerData } from "./simd_protocol.ts";

/** Which pool a kernel runs on, given the backend (normally {@link SimdPool.of}). */
export type PoolOf = (backend: object) => SimdPool;

/** How long a job waits for helpers that have not started before it fails (they start in well under a second). */
const START_TIMEOUT_MS = 60_000;

/** Options of {@link SimdPool.create}. */
export interface PoolOptions {
  /** The helpers' script (default simd_worker.ts). */
  workerScript?: URL;
  /** See START_TIMEOUT_MS. */
  startTimeoutMs?: number;
}

/** Bytes of stack each thread's instance gets on the heap. */
const STACK_BYTES = 64 * 1024;

/**
 * The parts of tfjs-backend-wasm 4.22's Emscripten module the pool uses. The threaded binary exports its
 * (shared) memory as `wasmMemory`; the single-threaded one only as its instance's export `asm.memory`.
 */
interface WasmModuleInternals {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
  _malloc(bytes: number): number;
  tfjs: { getThreadsCount(): number };
}

const loaded = new Map<boolean, { bytes: Uint8Array<ArrayBuffer>; module: WebAssembly.Module }>();

/**
 * Our module for a shared memory (simd_kernels.wasm) or a plain one (simd_kernels_plain.wasm: the same code,
 * build_simd.ts checks): its bytes and its compiled form, loaded once per process.
 */
export function simdModule(shared: boolean): { bytes: Uint8Array<ArrayBuffer>; module: WebAssembly.Module } {
  let entry = loaded.get(shared);
  if (!entry) {
    const file = shared ? "simd_kernels.wasm" : "simd_kernels_plain.wasm";
    const bytes = Deno.readFileSync(new URL(`./${file}`, import.meta.url));
    entry = { bytes, module: new WebAssembly.Module(bytes) };
    loaded.set(shared, entry);
  }
  return entry;
}

const pools = new WeakMap<object, SimdPool>();

/** What the pool needs of a tfjs wasm backend: its memory, its allocator and its thread count. */
interface Heap {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  threads: number;
}

function heapOf(backend: object): Heap {
  const mod = (backend as { wasm?: Partial<WasmModuleInternals> }).wasm;
  const memory = mod?.wasmMemory ?? mod?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || !mod?._malloc || !mod.tfjs?.getThreadsCount) {
    throw new Error(
      "SimdPool: the backend is not tfjs-backend-wasm 4.22 (no wasmMemory or asm.memory, _malloc or " +
        "getThreadsCount on backend.wasm); re-derive lib/backends/wasm/simd_pool.ts for this tfjs version",
    );
  }
  const malloc = mod._malloc;
  return { memory, malloc: (bytes) => malloc(bytes) >>> 0, threads: mod.tfjs.getThreadsCount() };
}

/** The SIMD kernels of one wasm backend and its helper threads. */
export class SimdPool {
  readonly threads: number;
  readonly #memory: WebAssembly.Memory;
  readonly #startTimeoutMs: number;
  readonly #ctrlAddress: number;
  #ctrl: Int32Array;
  #args: Float64Array;
  readonly #kernels: Record<SimdKernelName, (...a: number[]) => void>;

  /**
   * The pool of a tfjs wasm backend (`tf.backend()` while wasm is active), created on first use with the
   * backend's thread count.
   */
  static of(backend: object): SimdPool {
    let pool = pools.get(backend);
    if (!pool) {
      const heap = heapOf(backend);
      pool = new SimdPool(heap, heap.threads);
      pools.set(backend, pool);
    }
    return pool;
  }

  /**
   * A separate pool of `threads` threads on the backend's heap (the tests use it to check that results do not
   * depend on the thread count, and `options` to check what happens when helpers never start). Its helpers
   * stay until the process exits.
   */
  static create(backend: object, threads: number, options: PoolOptions = {}): SimdPool {
    if (!Number.isInteger(threads) || threads < 1) {
      throw new Error(`SimdPool.create: threads must be a positive integer, got ${threads}`);
    }
    return new SimdPool(heapOf(backend), threads, options);
  }

  private constructor(heap: Heap, threads: number, options: PoolOptions = {}) {
    this.#startTimeoutMs = options.startTimeoutMs ?? START_TIMEOUT_MS;
    const memory = heap.memory;
    // A plain memory (tfjs's single-threaded binary) cannot be shared with helper threads.
    const shared = memory.buffer instanceof SharedArrayBuffer;
    this.threads = shared ? Math.max(1, threads) : 1;
    const ctrlAddress = heap.malloc(CTRL.bytes);
    this.#memory = memory;
    this.#ctrlAddress = ctrlAddress;
    this.#ctrl = new Int32Array(memory.buffer, ctrlAddress, CTRL.words);
    this.#ctrl.fill(0);
    this.#args = new Float64Array(memory.buffer, ctrlAddress + CTRL.argsByte, CTRL.maxArgs);
    const stackTop = () => (heap.malloc(STACK_BYTES) + STACK_BYTES) & ~15;
    const { bytes, module } = simdModule(shared);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const exports = instance.exports as Record<string, unknown>;
    (exports.__stack_pointer as WebAssembly.Global).value = stackTop();
    this.#kernels = Object.fromEntries(
      SIMD_KERNELS.map((name) => {
        if (typeof exports[name] !== "function") {
          throw new Error(`SimdPool: simd_kernels.wasm lacks '${name}'; rebuild it (deno task build:simd)`);
        }
        return [name, exports[name]];
      }),
    ) as Record<SimdKernelName, (...a: number[]) => void>;
    for (let tid = 1; tid < this.threads; tid++) {
      const workerData: SimdWorkerData = {
        bytes,
        memory,
        ctrl: ctrlAddress,
        stackTop: stackTop(),
        tid,
        threads: this.threads,
      };
      new Worker(options.workerScript ?? new URL("./simd_worker.ts", import.meta.url), { workerData })
        .unref();
    }
  }

  /**
   * Runs kernel `name` with `args` (heap addresses and sizes, as simd/*.c declare them, without the
   * trailing thread index and count) on every thread, and returns when all are done.
   */
  run(name: SimdKernelName, args: readonly number[]): void {
    if (args.length > CTRL.maxArgs) {
      throw new Error(`SimdPool.run(${name}): more than ${CTRL.maxArgs} arguments`);
    }
    if (this.#ctrl.buffer !== this.#memory.buffer) {
      // The heap grew: a plain memory's old buffer is detached (a shared one's stays valid, but is replaced too).
      this.#ctrl = new Int32Array(this.#memory.buffer, this.#ctrlAddress, CTRL.words);
      this.#args = new Float64Array(this.#memory.buffer, this.#ctrlAddress + CTRL.argsByte, CTRL.maxArgs);
    }
    const ctrl = this.#ctrl;
    Atomics.store(ctrl, CTRL.claims, 0);
    if (this.threads > 1) {
      ctrl[CTRL.fn] = SIMD_KERNELS.indexOf(name);
      ctrl[CTRL.nargs] = args.length;
      this.#args.set(args);
      Atomics.store(ctrl, CTRL.done, 0);
      Atomics.add(ctrl, CTRL.seq, 1);
      Atomics.notify(ctrl, CTRL.seq);
    }
    this.#kernels[name](...args, 0, this.threads, this.#ctrlAddress + CTRL.claimsByte);
    const since = performance.now();
    for (let done; (done = Atomics.load(ctrl, CTRL.done)) < this.threads - 1;) {
      Atomics.wait(ctrl, CTRL.done, done, 1000);
      const started = Atomics.load(ctrl, CTRL.ready);
      if (started < this.threads - 1 && performance.now() - since > this.#startTimeoutMs) {
        // Blocked here, this thread never sees a helper's error event: say what is known instead of hanging.
        throw new Error(
          `SimdPool.run(${name}): only ${started} of ${this.threads - 1} helper thread(s) started within ` +
            `${this.#startTimeoutMs / 1000} s (see stderr for their errors); with runtime.threads: 1 in ` +
            `params.yaml (--threads 1 for bench/train.ts) no helper is needed`,
        );
      }
    }
    const failed = Atomics.exchange(ctrl, CTRL.failed, 0);
    if (failed !== 0) throw new Error(`SimdPool.run(${name}): helper thread ${failed} failed (see stderr)`);
  }
}
