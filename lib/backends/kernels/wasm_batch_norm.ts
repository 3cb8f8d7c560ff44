/**
 * The batch-norm kernels of webgpu_batch_norm.ts (same names, same definitions) for wasm, over our SIMD kernels
 * (lib/backends/wasm/simd/batch_norm.c), so that `FastBatchNormalization` takes its kernel path on wasm too: a BN
 * layer's training step runs 6 of them (dβ and dγ from one pass) instead of ~20 tfjs ops.
 *
 * Per-channel sums are taken in fixed chunks of rows and the chunks added in order, so results do not depend on
 * the thread count. The statistics are shifted sums (about x's first row) as on webgpu.
 */
import * as tf from "@tensorflow/tfjs-core";
import { BN_APPLY, BN_GRAD_INPUT, BN_GRAD_REDUCE, BN_STATS, MOVING_AVERAGE } from "./webgpu_batch_norm.ts";
import { type PoolOf, SimdPool } from "../wasm/simd_pool.ts";
import { heapAddress as address, type WasmHeapBackend } from "./wasm_heap.ts";

type Args = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: tf.KernelBackend };

/** Rows per chunk of a reduction: `CHUNK_ROWS` of simd/batch_norm.c. */
const CHUNK_ROWS = 512;
/** The `mode` values of simd/batch_norm.c's channel_partials. */
const SUM = { shiftedSquares: 0, dyBoth: 1 } as const;

function rowsAndChannels(x: tf.TensorInfo): { rows: number; channels: number } {
  const channels = x.shape[x.shape.length - 1];
  return { rows: tf.util.sizeFromShape(x.shape) / channels, channels };
}

/**
 * A per-channel reduction of [rows, C] through chunk partials into `outShapes.length` outputs (the statistics
 * [2, C], or dβ and dγ).
 */
function reduce(
  pool: SimdPool,
  backend: tf.KernelBackend,
  mode: number,
  t: { x: tf.TensorInfo; dy?: tf.TensorInfo; stats?: tf.TensorInfo },
  outShapes: number[][],
  epsilon = 0,
): tf.TensorInfo[] {
  const b = backend as unknown as WasmHeapBackend;
  const { rows, channels } = rowsAndChannels(t.x);
  const partials = b.makeOutput([Math.ceil(rows / CHUNK_ROWS), 2 * channels], "float32");
  const outs = outShapes.map((shape) => b.makeOutput(shape, "float32"));
  const [x, dy, stats] = [address(b, t.x), address(b, t.dy), address(b, t.stats)];
  pool.run("channel_partials", [x, dy, stats, address(b, partials), rows, channels, mode]);
  pool.run("channel_finish", [
    address(b, partials),
    x,
    stats,
    address(b, outs[0]),
    address(b, outs[1]),
    rows,
    channels,
    mode,
    epsilon,
  ]);
  b.disposeData(partials.dataId);
  return outs;
}

const statsKernel = (poolOf: PoolOf) => ({ inputs, backend }: Args): tf.TensorInfo => {
  const { x } = inputs as { x: tf.TensorInfo };
  return reduce(poolOf(backend), backend, SUM.shiftedSquares, { x }, [[2, rowsAndChannels(x).channels]])[0];
};

const gradReduceKernel = (poolOf: PoolOf) => ({ inputs, attrs, backend }: Args): tf.TensorInfo[] => {
  const { dy, x, stats } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo; stats: tf.TensorInfo };
  const { channels } = rowsAndChannels(dy);
  const shapes = [[channels], [channels]];
  return reduce(poolOf(backend), backend, SUM.dyBoth, { dy, x, stats }, shapes, attrs!.epsilon as number);
};

const applyKernel = (poolOf: PoolOf) => ({ inputs, attrs, backend }: Args): tf.TensorInfo => {
  const { x, stats, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
  const b = backend as unknown as WasmHeapBackend;
  const out = b.makeOutput(x.shape, "float32");
  const { rows, channels } = rowsAndChannels(x);
  poolOf(backend).run("bn_apply", [
    ...[x, stats, gamma, beta, out].map((t) => address(b, t)),
    rows,
    channels,
    attrs!.epsilon as number,
  ]);
  return out;
};

const gradInputKernel = (poolOf: PoolOf) => ({ inputs, attrs, backend }: Args): tf.TensorInfo => {
  const { dy, x, stats, gamma, dgamma, dbeta } = inputs as Record<string, tf.TensorInfo>;
  const b = backend as unknown as WasmHeapBackend;
  const out = b.makeOutput(x.shape, "float32");
  const { rows, channels } = rowsAndChannels(x);
  poolOf(backend).run("bn_grad_input", [
    ...[dy, x, stats, gamma, dgamma, dbeta, out].map((t) => address(b, t)),
    rows,
    channels,
    attrs!.epsilon as number,
  ]);
  return out;
};

/** old − (old − stats[row])·(1 − momentum), in float32 like the WGSL kernel (C values: no threads needed). */
function movingAverageKernel({ inputs, attrs, backend }: Args): tf.TensorInfo {
  const { old, stats } = inputs as { old: tf.TensorInfo; stats: tf.TensorInfo };
  const b = backend as unknown as WasmHeapBackend;
  const out = b.makeOutput(old.shape, "float32");
  // Views after makeOutput, which may grow (and so detach) the heap.
  const [o, s, r] = [b.typedArrayFromHeap(old), b.typedArrayFromHeap(stats), b.typedArrayFromHeap(out)];
  const decay = Math.fround(1 - (attrs!.momentum as number));
  const base = (attrs!.row as number) * o.length;
  for (let c = 0; c < o.length; c++) r[c] = o[c] - Math.fround(Math.fround(o[c] - s[base + c]) * decay);
  return out;
}

/**
 * The batch-norm kernel configs for wasm, running on the pool `poolOf` gives (default: the backend's own).
 *
 * @example
 * const [stats] = wasmBatchNormKernels((b) => SimdPool.create(b, 3)); // three threads, same results
 */
export function wasmBatchNormKernels(poolOf: PoolOf = SimdPool.of): tf.KernelConfig[] {
  return ([
    [BN_STATS, statsKernel(poolOf)],
    [BN_APPLY, applyKernel(poolOf)],
    [BN_GRAD_REDUCE, gradReduceKernel(poolOf)],
    [BN_GRAD_INPUT, gradInputKernel(poolOf)],
    [MOVING_AVERAGE, movingAverageKernel],
  ] as const).map(([kernelName, kernelFunc]) => ({
    kernelName,
    backendName: "wasm",
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  }));
}

/** The batch-norm kernels for wasm (registered by register_kernels.ts). */
export const WASM_BATCH_NORM_KERNELS: readonly tf.KernelConfig[] = wasmBatchNormKernels();
