/**
 * Training-mode batch norm (channels last) as four WGSL kernels for webgpu, registered under our own kernel
 * names so that `FastBatchNormalization` can call them through `tf.engine().runKernel` when the active backend
 * has them. With M = N·H·W rows per channel, stats = [mean; biased variance] ([2, C]), rstd = 1/√(var + ε):
 *
 * - {@link BN_STATS}: x → stats. One 256-thread workgroup per channel sums x − x[0, c] and its square (shifted
 *   sums keep E[x²] − E[x]² accurate), then a tree reduction in workgroup memory.
 * - {@link BN_APPLY}: (x, stats, γ, β) → (x − mean)·rstd·γ + β, elementwise.
 * - {@link BN_GRAD_REDUCE}: (dy, x, stats) → dβ = Σ dy (`withX` false) or dγ = rstd·Σ dy·(x − mean) (true).
 * - {@link BN_GRAD_INPUT}: (dy, x, stats, γ, dγ, dβ) → dx = γ·rstd·(dy − dβ/M − (x − mean)·rstd·dγ/M).
 * - {@link MOVING_AVERAGE}: (old, stats) → old − (old − stats[row])·(1 − momentum), the Keras moving update.
 *
 * A training step's BN layer thus costs 7 dispatches (2 forward, 3 backward, 2 moving statistics) instead of
 * the ~40 small kernels of `moments()` + `FusedBatchNorm` + autodiff.
 */
import * as tf from "@tensorflow/tfjs-core";
import { ElementwiseProgram, runProgram, type WebGpuProgram } from "./webgpu_program.ts";

/** Kernel names (our own; no backend ships them). */
export const BN_STATS = "OurBatchNormStats";
export const BN_APPLY = "OurBatchNormApply";
export const BN_GRAD_REDUCE = "OurBatchNormGradReduce";
export const BN_GRAD_INPUT = "OurBatchNormGradInput";
export const MOVING_AVERAGE = "OurMovingAverage";

const REDUCE_THREADS = 256;
/** The channel of element `index` of a channels-last tensor, for the elementwise programs below. */
const CHANNEL = "let c = index % uniforms.channels;";

/**
 * One workgroup per channel over `rows` rows of a [rows, channels] view; each thread accumulates `a` and `b`
 * from `acc` (WGSL statements using `i`, the element index, and `c`), then `finish` writes from the sums
 * `sa`, `sb`.
 */
class ChannelReduceProgram implements WebGpuProgram {
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [REDUCE_THREADS, 1, 1];

  constructor(
    readonly shaderKey: string,
    readonly variableNames: string[],
    readonly uniforms: string,
    outputShape: number[],
    channels: number,
    private readonly prologue: string,
    private readonly acc: string,
    private readonly finish: string,
  ) {
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [channels, 1, 1];
  }

  getUserCode(): string {
    const half = REDUCE_THREADS / 2;
    return `
      var<workgroup> partA : array<f32, ${REDUCE_THREADS}>;
      var<workgroup> partB : array<f32, ${REDUCE_THREADS}>;

      fn main(index : i32) {
        let li = i32(localIndex);
        let c = i32(workgroupId.x);
        ${this.prologue}
        var a = 0.0;
        var b = 0.0;
        for (var r = li; r < uniforms.rows; r = r + ${REDUCE_THREADS}) {
          let i = r * uniforms.channels + c;
          ${this.acc}
        }
        partA[li] = a;
        partB[li] = b;
        workgroupBarrier();
        for (var s = ${half}; s > 0; s = s / 2) {
          if (li < s) {
            partA[li] = partA[li] + partA[li + s];
            partB[li] = partB[li] + partB[li + s];
          }
          workgroupBarrier();
        }
        if (li == 0) {
          let sa = partA[0];
          let sb = partB[0];
          ${this.finish}
        }
      }
    `;
  }
}

type Inputs = Record<string, tf.TensorInfo>;
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

function channelsOf(x: tf.TensorInfo): { channels: number; rows: number } {
  const channels = x.shape[x.shape.length - 1];
  return { channels, rows: tf.util.sizeFromShape(x.shape) / channels };
}

function statsKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as Inputs;
  const { channels, rows } = channelsOf(x);
  const program = new ChannelReduceProgram(
    "ourBatchNormStats",
    ["x"],
    "channels : i32, rows : i32, ",
    [2, channels],
    channels,
    "let shift = x[c];",
    "let d = x[i] - shift; a = a + d; b = fma(d, d, b);",
    `let m = sa / f32(uniforms.rows);
     result[c] = shift + m;
     result[uniforms.channels + c] = max(sb / f32(uniforms.rows) - m * m, 0.0);`,
  );
  return runProgram(backend, program, [x], [channels, rows]);
}

function applyKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, stats, gamma, beta } = inputs as Inputs;
  const { channels } = channelsOf(x);
  const program = new ElementwiseProgram(
    "ourBatchNormApply",
    ["x", "stats", "gamma", "beta"],
    "channels : i32, epsilon : f32, ",
    x.shape,
    `${CHANNEL}
     let rstd = inverseSqrt(stats[uniforms.channels + c] + uniforms.epsilon);
     let out = (x[index] - stats[c]) * rstd * gamma[c] + beta[c];`,
  );
  return runProgram(backend, program, [x, stats, gamma, beta], [channels], [attrs!.epsilon as number]);
}

function gradReduceKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, x, stats } = inputs as Inputs;
  const { channels, rows } = channelsOf(dy);
  const withX = attrs!.withX as boolean;
  const program = withX
    ? new ChannelReduceProgram(
      "ourBatchNormGradGamma",
      ["dy", "x", "stats"],
      "channels : i32, rows : i32, epsilon : f32, ",
      [channels],
      channels,
      "let mean = stats[c];",
      "a = fma(dy[i], x[i] - mean, a);",
      "result[c] = sa * inverseSqrt(stats[uniforms.channels + c] + uniforms.epsilon);",
    )
    : new ChannelReduceProgram(
      "ourBatchNormGradBeta",
      ["dy"],
      "channels : i32, rows : i32, ",
      [channels],
      channels,
      "",
      "a = a + dy[i];",
      "result[c] = sa;",
    );
  return withX
    ? runProgram(backend, program, [dy, x, stats], [channels, rows], [attrs!.epsilon as number])
    : runProgram(backend, program, [dy], [channels, rows]);
}

function gradInputKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, x, stats, gamma, dgamma, dbeta } = inputs as Inputs;
  const { channels, rows } = channelsOf(x);
  const program = new ElementwiseProgram(
    "ourBatchNormGradInput",
    ["dy", "x", "stats", "gamma", "dgamma", "dbeta"],
    "channels : i32, invRows : f32, epsilon : f32, ",
    x.shape,
    `${CHANNEL}
     let rstd = inverseSqrt(stats[uniforms.channels + c] + uniforms.epsilon);
     let xc = x[index] - stats[c];
     let inner = dy[index] - dbeta[c] * uniforms.invRows - xc * rstd * dgamma[c] * uniforms.invRows;
     let out = gamma[c] * rstd * inner;`,
  );
  return runProgram(backend, program, [dy, x, stats, gamma, dgamma, dbeta], [channels], [
    1 / rows,
    attrs!.epsilon as number,
  ]);
}

function movingAverageKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { old, stats } = inputs as Inputs;
  const program = new ElementwiseProgram(
    "ourMovingAverage",
    ["old", "stats"],
    "channels : i32, row : i32, decay : f32, ",
    old.shape,
    `${CHANNEL} let out = old[index] - (old[index] - stats[uniforms.row * uniforms.channels + c]) * uniforms.decay;`,
  );
  return runProgram(backend, program, [old, stats], [old.shape[0], attrs!.row as number], [
    1 - (attrs!.momentum as number),
  ]);
}

const KERNELS: [string, (args: KernelArgs) => tf.TensorInfo][] = [
  [BN_STATS, statsKernel],
  [BN_APPLY, applyKernel],
  [BN_GRAD_REDUCE, gradReduceKernel],
  [BN_GRAD_INPUT, gradInputKernel],
  [MOVING_AVERAGE, movingAverageKernel],
];

/** Whether the batch-norm kernels are registered for `backendName` (default: the active backend). */
export function hasBatchNormKernels(backendName = tf.getBackend()): boolean {
  return tf.getKernel(BN_STATS, backendName) !== undefined;
}

/** Registers the batch-norm kernels for webgpu (idempotent); returns their names. */
export function registerBatchNormKernels(): string[] {
  for (const [kernelName, kernelFunc] of KERNELS) {
    if (tf.getKernel(kernelName, "webgpu")) continue;
    tf.registerKernel({ kernelName, backendName: "webgpu", kernelFunc: kernelFunc as tf.KernelFunc });
  }
  return KERNELS.map(([name]) => name);
}

/** Unregisters them (e.g. to benchmark without them). */
export function unregisterBatchNormKernels(): void {
  for (const [kernelName] of KERNELS) {
    if (tf.getKernel(kernelName, "webgpu")) tf.unregisterKernel(kernelName, "webgpu");
  }
}
