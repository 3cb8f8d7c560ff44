/**
 * Training-mode batch norm (channels last) as four WGSL kernels for webgpu, registered under our own kernel
 * names so that `FastBatchNormalization` can call them through `tf.engine().runKernel` when the active backend
 * has them. With M = N·H·W rows per channel, stats = [mean; biased variance] ([2, C]), rstd = 1/√(var + ε):
 *
 * - {@link BN_STATS}: x → stats: the sums of x − x[0, c] and of its square (shifted sums keep E[x²] − E[x]²
 *   accurate), reduced in two passes (see {@link ChannelPartialsProgram}).
 * - {@link BN_APPLY}: (x, stats, γ, β) → (x − mean)·rstd·γ + β, elementwise.
 * - {@link BN_GRAD_REDUCE}: (dy, x, stats) → [dβ = Σ dy, dγ = rstd·Σ dy·(x − mean)], both from one pass over dy
 *   and x (two outputs).
 * - {@link BN_GRAD_INPUT}: (dy, x, stats, γ, dγ, dβ) → dx = γ·rstd·(dy − dβ/M − (x − mean)·rstd·dγ/M).
 * - {@link MOVING_AVERAGE}: (old, stats) → old − (old − stats[row])·(1 − momentum), the Keras moving update.
 * - {@link MOVING_AVERAGES_IN_PLACE}: the same update of both moving statistics (mean: row 0, variance: row 1)
 *   in one dispatch, written where they are (whole_program.ts; registered with the `inPlace` group); no output.
 *
 * A training step's BN layer thus costs 5 kernels and 7 dispatches (the statistics and the gradient sums take
 * two each: partial sums, then one dispatch writing every output) instead of the ~40 small kernels of
 * `moments()` + `FusedBatchNorm` + autodiff.
 */
import * as tf from "@tensorflow/tfjs-core";
import { WEBGPU_BACKEND } from "../webgpu/name.ts";
import { ceilDiv, ElementwiseProgram, fitsVec4, runProgram, type WebGpuProgram } from "../webgpu/program.ts";
import {
  newOutput,
  runWholeProgram,
  type WholeProgram,
  wholeProgramBindings,
} from "../webgpu/whole_program.ts";

/** Kernel names (our own; no backend ships them). */
export const BN_STATS = "OurBatchNormStats";
export const BN_APPLY = "OurBatchNormApply";
export const BN_GRAD_REDUCE = "OurBatchNormGradReduce";
export const BN_GRAD_INPUT = "OurBatchNormGradInput";
export const MOVING_AVERAGE = "OurMovingAverage";
export const MOVING_AVERAGES_IN_PLACE = "OurMovingAveragesInPlace";

const REDUCE_THREADS = 256;
/**
 * The channel of element `index` of a channels-last tensor, for the elementwise programs below. When the
 * channel count is a multiple of 4 they run as `vec4` programs (program.ts): `index` and `c` then count groups
 * of 4 channels, `uniforms.channels` is C/4, and each lane computes the scalar expression of its channel
 * (unless {@link fitsVec4}'s flag is off).
 */
const CHANNEL = "let c = index % uniforms.channels;";
/** Rows each thread of {@link ChannelPartialsProgram} visits at least (more when the split count is capped). */
const ROWS_PER_THREAD = 16;
/** Most row splits of one reduction (the second pass reduces them with one workgroup per channel). */
const MAX_SPLITS = 4096;

/** How {@link ChannelPartialsProgram} splits a [rows, channels] reduction. */
export interface ReductionPlan {
  /** Adjacent channels per workgroup (a power of two ≤ 64). */
  lanes: number;
  /** Threads per channel in a workgroup (256 / lanes). */
  rowLanes: number;
  /** Rows per split (a multiple of rowLanes). */
  rowsPerSplit: number;
  /** Row splits (≤ 4096): the second pass reduces this many partials per channel. */
  splits: number;
}

/**
 * The split of a per-channel reduction: enough workgroups to fill a GPU, each thread visiting at least 16
 * rows, at most 4096 splits.
 *
 * @example
 * reductionPlan(16, 131072); // { lanes: 16, rowLanes: 16, rowsPerSplit: 256, splits: 512 }
 */
export function reductionPlan(channels: number, rows: number): ReductionPlan {
  const lanes = Math.min(64, 2 ** Math.ceil(Math.log2(Math.max(1, channels))));
  const rowLanes = REDUCE_THREADS / lanes;
  const rowsPerSplit = rowLanes * Math.max(ROWS_PER_THREAD, ceilDiv(ceilDiv(rows, MAX_SPLITS), rowLanes));
  return { lanes, rowLanes, rowsPerSplit, splits: Math.max(1, ceilDiv(rows, rowsPerSplit)) };
}

/**
 * First pass of a per-channel reduction of a channels-last [rows, channels] view: workgroup (g, s) covers
 * `lanes` adjacent channels (threads side by side read adjacent addresses) and split `s` of the rows, and
 * writes its two partial sums to row s of an [S, 2·channels] output. Each thread accumulates `a` and `b` with
 * `acc` (WGSL statements using `i`, the element index, and `c`; `prologue` runs first, e.g. reading a shift).
 * The first version used one workgroup per channel with strided reads: 16 workgroups for a 16-channel layer,
 * 90 µs for 8 MB on the H200.
 */
class ChannelPartialsProgram implements WebGpuProgram {
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [REDUCE_THREADS, 1, 1];
  /** Uniform values, in the order of {@link uniforms}' integer fields. */
  readonly ints: number[];

  constructor(
    readonly shaderKey: string,
    readonly variableNames: string[],
    readonly uniforms: string,
    channels: number,
    rows: number,
    private readonly prologue: string,
    private readonly acc: string,
  ) {
    const { lanes, rowsPerSplit, splits } = reductionPlan(channels, rows);
    this.outputShape = [splits, 2 * channels];
    this.dispatchLayout = { x: [0, 1] };
    this.dispatch = [ceilDiv(channels, lanes), splits, 1];
    this.ints = [channels, rows, lanes, rowsPerSplit];
  }

  getUserCode(): string {
    return `
      var<workgroup> partA : array<f32, ${REDUCE_THREADS}>;
      var<workgroup> partB : array<f32, ${REDUCE_THREADS}>;

      fn main(index : i32) {
        let li = i32(localIndex);
        let lanes = uniforms.lanes;
        let rowLanes = ${REDUCE_THREADS} / lanes;
        let tx = li % lanes;
        let ty = li / lanes;
        let c = i32(workgroupId.x) * lanes + tx;
        let split = i32(workgroupId.y);
        let r0 = split * uniforms.rowsPerSplit;
        let r1 = min(r0 + uniforms.rowsPerSplit, uniforms.rows);
        var a = 0.0;
        var b = 0.0;
        if (c < uniforms.channels) {
          ${this.prologue}
          for (var r = r0 + ty; r < r1; r = r + rowLanes) {
            let i = r * uniforms.channels + c;
            ${this.acc}
          }
        }
        partA[li] = a;
        partB[li] = b;
        workgroupBarrier();
        for (var s = rowLanes / 2; s > 0; s = s / 2) {
          if (ty < s) {
            partA[li] = partA[li] + partA[li + s * lanes];
            partB[li] = partB[li] + partB[li + s * lanes];
          }
          workgroupBarrier();
        }
        if (ty == 0 && c < uniforms.channels) {
          let o = split * 2 * uniforms.channels + c;
          result[o] = partA[li];
          result[o + uniforms.channels] = partB[li];
        }
      }
    `;
  }
}

/**
 * Second pass, as one whole program (whole_program.ts) for every output: one workgroup per channel sums the
 * partials `p` ([S, 2·channels], `uniforms.splits` rows) into `sa`, `sb`; then each finish (WGSL using `c`,
 * `sa`, `sb`, `uniforms.rows`, after its `prologue`) writes its output, named `out` in the finish.
 */
function channelFinishProgram(
  key: string,
  finishes: readonly ChannelFinish[],
  names: string[],
  floatFields: string,
) {
  const half = REDUCE_THREADS / 2;
  const outs = finishes.map((_, k) => `out${k}`);
  const blocks = finishes.map((f, k) =>
    `{
            ${f.prologue}
            ${f.finish.replaceAll("out[", `${outs[k]}[`)}
          }`
  ).join("\n");
  return (channels: number): WholeProgram => ({
    key: `${key}Finish`,
    dispatch: [channels, 1, 1],
    code: () =>
      `${
        wholeProgramBindings(
          outs,
          ["p", ...names],
          `channels : i32, splits : i32, rows : i32, ${floatFields}`,
        )
      }
      var<workgroup> partA : array<f32, ${REDUCE_THREADS}>;
      var<workgroup> partB : array<f32, ${REDUCE_THREADS}>;

      @compute @workgroup_size(${REDUCE_THREADS}, 1, 1)
      fn main(@builtin(local_invocation_index) localIndex : u32, @builtin(workgroup_id) workgroupId : vec3<u32>) {
        let li = i32(localIndex);
        let c = i32(workgroupId.x);
        var a = 0.0;
        var b = 0.0;
        for (var r = li; r < uniforms.splits; r = r + ${REDUCE_THREADS}) {
          let j = r * 2 * uniforms.channels + c;
          a = a + p[j];
          b = b + p[j + uniforms.channels];
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
          ${blocks}
        }
      }`,
  });
}

/** One output of {@link reduceChannels}: what the second pass writes to it from the shared sums. */
interface ChannelFinish {
  /** Inputs besides the partials, and their WGSL names (the same name must mean the same tensor). */
  inputs: tf.TensorInfo[];
  names: string[];
  prologue: string;
  /** WGSL statements writing `out` (e.g. `out[c] = sa;`). */
  finish: string;
  outputShape: number[];
}

/**
 * What {@link reduceChannels} runs: the first pass's WGSL snippets and inputs, and one finish per output (all
 * of them in one dispatch).
 */
interface ChannelReduction {
  key: string;
  /** Inputs of the first pass (the reduced tensor first) and their WGSL names. */
  inputs: tf.TensorInfo[];
  names: string[];
  /** Extra float uniforms of both passes, declared in `floatFields` (e.g. `"epsilon : f32, "`). */
  floats: number[];
  floatFields: string;
  prologue: string;
  acc: string;
  finishes: ChannelFinish[];
}

/** Runs a per-channel reduction (the partials pass, then one dispatch writing every output) and frees the partials. */
function reduceChannels(backend: tf.KernelBackend, r: ChannelReduction): tf.TensorInfo[] {
  const { channels, rows } = channelsOf(r.inputs[0]);
  const first = new ChannelPartialsProgram(
    `${r.key}Partials`,
    r.names,
    `channels : i32, rows : i32, lanes : i32, rowsPerSplit : i32, ${r.floatFields}`,
    channels,
    rows,
    r.prologue,
    r.acc,
  );
  const partials = runProgram(backend, first, r.inputs, first.ints, r.floats);
  const extra = new Map<string, tf.TensorInfo>();
  for (const f of r.finishes) f.names.forEach((n, i) => extra.set(n, f.inputs[i]));
  const outs = r.finishes.map((f) => newOutput(backend, f.outputShape));
  runWholeProgram(
    backend,
    channelFinishProgram(r.key, r.finishes, [...extra.keys()], r.floatFields)(channels),
    {
      written: outs,
      read: [partials, ...extra.values()],
      uniforms: [
        { type: "int32", data: [channels] },
        { type: "int32", data: [partials.shape[0]] },
        { type: "int32", data: [rows] },
        ...r.floats.map((v) => ({ type: "float32" as const, data: [v] })),
      ],
    },
  );
  backend.disposeData(partials.dataId);
  return outs;
}

type Inputs = Record<string, tf.TensorInfo>;
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

function channelsOf(x: tf.TensorInfo): { channels: number; rows: number } {
  const channels = x.shape[x.shape.length - 1];
  return { channels, rows: tf.util.sizeFromShape(x.shape) / channels };
}

function statsKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as Inputs;
  const { channels } = channelsOf(x);
  return reduceChannels(backend, {
    key: "ourBatchNormStats",
    inputs: [x],
    names: ["x"],
    floats: [],
    floatFields: "",
    prologue: "let shift = x[c];",
    acc: "let d = x[i] - shift; a = a + d; b = fma(d, d, b);",
    finishes: [{
      inputs: [x],
      names: ["x"],
      prologue: "let shift = x[c];",
      finish: `let m = sa / f32(uniforms.rows);
       out[c] = shift + m;
       out[uniforms.channels + c] = max(sb / f32(uniforms.rows) - m * m, 0.0);`,
      outputShape: [2, channels],
    }],
  })[0];
}

function applyKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, stats, gamma, beta } = inputs as Inputs;
  const { channels } = channelsOf(x);
  const vec4 = fitsVec4(gamma);
  const program = new ElementwiseProgram(
    "ourBatchNormApply",
    ["x", "stats", "gamma", "beta"],
    "channels : i32, epsilon : f32, ",
    x.shape,
    `${CHANNEL}
     let rstd = inverseSqrt(stats[uniforms.channels + c] + uniforms.epsilon);
     let out = (x[index] - stats[c]) * rstd * gamma[c] + beta[c];`,
    vec4,
  );
  return runProgram(backend, program, [x, stats, gamma, beta], [vec4 ? channels / 4 : channels], [
    attrs!.epsilon as number,
  ]);
}

function gradReduceKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { dy, x, stats } = inputs as Inputs;
  const { channels } = channelsOf(dy);
  return reduceChannels(backend, {
    key: "ourBatchNormGradSums",
    inputs: [dy, x, stats],
    names: ["dy", "x", "stats"],
    floats: [attrs!.epsilon as number],
    floatFields: "epsilon : f32, ",
    prologue: "let mean = stats[c];",
    acc: "let g = dy[i]; a = a + g; b = fma(g, x[i] - mean, b);",
    finishes: [
      {
        inputs: [],
        names: [],
        prologue: "",
        finish: "out[c] = sa;",
        outputShape: [channels],
      },
      {
        inputs: [stats],
        names: ["stats"],
        prologue: "",
        finish: "out[c] = sb * inverseSqrt(stats[uniforms.channels + c] + uniforms.epsilon);",
        outputShape: [channels],
      },
    ],
  });
}

function gradInputKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, x, stats, gamma, dgamma, dbeta } = inputs as Inputs;
  const { channels, rows } = channelsOf(x);
  const vec4 = fitsVec4(gamma);
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
    vec4,
  );
  return runProgram(
    backend,
    program,
    [dy, x, stats, gamma, dgamma, dbeta],
    [vec4 ? channels / 4 : channels],
    [
      1 / rows,
      attrs!.epsilon as number,
    ],
  );
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

const MOVING_THREADS = 64;

/** Both moving statistics in one dispatch, in place: {@link movingAverageKernel}'s expression for each. */
function movingAveragesInPlaceKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { mean, variance, stats } = inputs as Inputs;
  runWholeProgram(backend, {
    key: "ourMovingAveragesInPlace",
    dispatch: [ceilDiv(mean.shape[0], MOVING_THREADS), 1, 1],
    code: () =>
      `${wholeProgramBindings(["mean", "variance"], ["stats"], "decay : f32, ")}
      @compute @workgroup_size(${MOVING_THREADS}, 1, 1)
      fn main(@builtin(global_invocation_id) id : vec3<u32>) {
        let c = i32(id.x);
        let channels = uniforms.meanShape;
        if (c < channels) {
          mean[c] = mean[c] - (mean[c] - stats[c]) * uniforms.decay;
          variance[c] = variance[c] - (variance[c] - stats[channels + c]) * uniforms.decay;
        }
      }`,
  }, {
    written: [mean, variance],
    read: [stats],
    uniforms: [{ type: "float32", data: [1 - (attrs!.momentum as number)] }],
  });
  return [];
}

/** The in-place moving averages, for our webgpu backend (registered by register_kernels.ts, group `inPlace`). */
export const MOVING_AVERAGES_IN_PLACE_KERNELS: readonly tf.KernelConfig[] = [{
  kernelName: MOVING_AVERAGES_IN_PLACE,
  backendName: WEBGPU_BACKEND,
  kernelFunc: movingAveragesInPlaceKernel as unknown as tf.KernelFunc,
}];

/** The batch-norm kernels, for our webgpu backend (registered by register_kernels.ts). */
export const BATCH_NORM_KERNELS: readonly tf.KernelConfig[] = ([
  [BN_STATS, statsKernel],
  [BN_APPLY, applyKernel],
  [BN_GRAD_REDUCE, gradReduceKernel],
  [BN_GRAD_INPUT, gradInputKernel],
  [MOVING_AVERAGE, movingAverageKernel],
] as const).map(([kernelName, kernelFunc]) => ({
  kernelName,
  backendName: WEBGPU_BACKEND,
  kernelFunc: kernelFunc as unknown as tf.KernelFunc,
}));

/** Whether the batch-norm kernels are registered for `backendName` (default: the active backend). */
export function hasBatchNormKernels(backendName = tf.getBackend()): boolean {
  return tf.getKernel(BN_STATS, backendName) !== undefined;
}
