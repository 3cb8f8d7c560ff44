/**
 * tfjs webgpu training-step benchmark for the project's models (lib/models: `cnn` on 28×28×1, `resnet20` on
 * 32×32×3; 10 classes), random data held on the device, plain SGD (lr 0.01) on softmax cross-entropy.
 *
 * Variants (each in its own process, since gradient registrations are process-wide):
 * - `stock`: tfjs-backend-webgpu as shipped (stock dW shader, stock BN/Sum/Mean gradients, stock uploads);
 * - `dw`: + our tiled split-K `Conv2DBackpropFilter` shader;
 * - `dw+grads`: + the fast FusedBatchNorm gradient and the Sum/Mean gradients without CPU-side `ones`;
 * - `phase1`: `initBackend("webgpu")` of phase 1 (the above + uploads via writeBuffer), i.e. without the WGSL
 *   batch-norm and fused-SGD kernels and with the stock tfjs-layers BatchNormalization training path;
 * - `phase2`: phase 1 + `FastBatchNormalization` on the WGSL batch-norm kernels + fused momentum-SGD kernels
 *   (`initBackend("webgpu", { dispatchCache: false })`);
 * - `ours`: `initBackend("webgpu")`, i.e. what the pipeline gets now: phase 2 + uniform buffers and bind
 *   groups cached across dispatches (lib/backends/webgpu/dispatch_cache.ts).
 * `stock`, `dw`, `dw+grads` and `phase1` run the stock BatchNormalization training path (as in phase 1).
 * `--env KEY=VALUE,...` sets tfjs flags first (e.g. `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64`,
 * `WEBGPU_CPU_FORWARD=false`); `--tag` names such a run in the report.
 *
 * `--conv stock|gemm|direct` and `--input-grad stock|gemm|direct|direct-transposed` choose, in `ours`, tfjs's
 * shaders, our implicit-GEMM program (lib/backends/kernels/webgpu_conv2d.ts) or, at stride 1, our direct program
 * (webgpu_conv_direct.ts; for dx also reading a transposed filter) for the forward convolution (`Conv2D`,
 * `FusedConv2D`) and the input gradient;
 * `--filter-grad stock|tiled|direct` tfjs's shader, our split-K GEMM (webgpu_filter_grad.ts) or, at stride 1,
 * our direct program (webgpu_filter_grad_direct.ts) for `Conv2DBackpropFilter`; unset, the default of
 * lib/backends/kernels/register_kernels.ts.
 * `--graph` runs `ours` through step graphs (lib/backends/webgpu/step_graph.ts: the step captured twice in
 * the warm-up, compared, then replayed without tfjs), as the `train` stage does on webgpu; the loss is read
 * through a readback slot. The profile (if asked) is of a step through tfjs.
 *
 * `--optimizer sgd` is plain `tf.train.sgd(0.01)` (as the PyTorch peer); `momentum` is lib/train's
 * `MomentumSgd` (μ 0.9, weight decay 5e-4, as the `train` stage), on the fused kernels when registered: by
 * default up to 16 variables a dispatch, in place (webgpu_sgd_in_place.ts, and the moving averages of batch
 * norm in place too); with `--no-in-place` two kernels a variable (fused_sgd.ts) and one a moving statistic.
 *
 * Per step it measures enqueue time (until `minimize` returns) and wall time (until the loss is read back);
 * then a pipelined block that reads only the last loss; optionally one `tf.profile` step (per-kernel GPU
 * time when the adapter has `timestamp-query`); and WebGPU API call counts per step. Prints
 * `RESULT {json}` on one line, progress on stderr.
 *
 * Usage: deno run -A bench/gpu/tfjs_webgpu.ts --model resnet20 --variant ours --batch 128 [--steps 10]
 *        [--warmup 3] [--pipelined 10] [--max-seconds 20] [--optimizer sgd|momentum] [--profile]
 *        [--env KEY=VALUE,...] [--tag NAME] [--no-in-place] [--conv C] [--input-grad G] [--filter-grad F]
 *        [--max-pool-grad stock|wgsl] [--relu stock|vec4] [--mat-mul stock|small-tiles]
 * `--env OUR_WEBGPU_VEC4=false` runs the batch-norm and ReLU-gradient programs over scalars (lib/backends/webgpu/program.ts),
 * `--env OUR_WEBGPU_PAD_CHANNELS=false` first layers of 1 or 3 channels on the GEMM programs (webgpu_channel_pad.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-webgpu";
import { parseArgs } from "node:util";
import { diff, installGpuCounters, snapshot } from "../../lib/backends/webgpu/api_counters.ts";
import { initBackend } from "../../lib/backends/select.ts";
import {
  registerTrainingKernels,
  type TrainingKernelChoice,
  unregisterWebGpuKernels,
} from "../../lib/backends/kernels/register_kernels.ts";
import { registerFastBatchNormGrad } from "../../lib/backends/kernels/batch_norm_grad.ts";
import { registerReductionGrads } from "../../lib/backends/kernels/reduction_grads.ts";
import { buildModel } from "../../lib/models/registry.ts";
import { FastBatchNormalization } from "../../lib/models/fast_batch_norm.ts";
import { MomentumSgd } from "../../lib/train/sgd.ts";
import { dispatchCacheStats, WEBGPU_BACKEND } from "../../lib/backends/webgpu/backend.ts";
import {
  captureStep,
  type Recording,
  sameRecording,
  type StepGraph,
} from "../../lib/backends/webgpu/step_graph.ts";
import { ReadbackSlots } from "../../lib/backends/webgpu/readback.ts";

const VARIANTS = ["stock", "dw", "dw+grads", "phase1", "phase2", "ours"] as const;
const OPTIMIZERS = ["sgd", "momentum"];
const INPUTS: Record<string, number[]> = { cnn: [28, 28, 1], resnet20: [32, 32, 3] };

const { values: a } = parseArgs({
  options: {
    model: { type: "string", default: "resnet20" },
    variant: { type: "string", default: "ours" },
    batch: { type: "string", default: "128" },
    steps: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    pipelined: { type: "string", default: "10" },
    "max-seconds": { type: "string", default: "20" },
    optimizer: { type: "string", default: "sgd" },
    profile: { type: "boolean", default: false },
    env: { type: "string", default: "" },
    tag: { type: "string", default: "" },
    graph: { type: "boolean", default: false },
    conv: { type: "string" },
    "input-grad": { type: "string" },
    "filter-grad": { type: "string" },
    "max-pool-grad": { type: "string" },
    relu: { type: "string" },
    "mat-mul": { type: "string" },
    "no-in-place": { type: "boolean", default: false },
  },
});
/** The kernel flags: the choice each sets (register_kernels.ts) and the values it takes on webgpu. */
const KERNEL_FLAGS = {
  conv: { choice: "conv", values: ["stock", "gemm", "direct"] },
  "input-grad": { choice: "inputGrad", values: ["stock", "gemm", "direct", "direct-transposed"] },
  "filter-grad": { choice: "filterGrad", values: ["stock", "tiled", "direct"] },
  "max-pool-grad": { choice: "maxPoolGrad", values: ["stock", "wgsl"] },
  relu: { choice: "relu", values: ["stock", "vec4"] },
  "mat-mul": { choice: "matMul", values: ["stock", "small-tiles"] },
} as const;
const kernelChoice: Record<string, string> = {};
for (const [flag, { choice, values }] of Object.entries(KERNEL_FLAGS)) {
  const value = a[flag as keyof typeof KERNEL_FLAGS];
  if (value === undefined) continue;
  if (!(values as readonly string[]).includes(value)) {
    throw new Error(`--${flag} must be one of ${values.join(", ")}, got ${value}`);
  }
  kernelChoice[choice] = value;
}
if (a.graph && a.variant !== "ours") throw new Error("--graph needs --variant ours (the dispatch cache)");
if (!OPTIMIZERS.includes(a.optimizer!)) {
  throw new Error(`--optimizer must be one of ${OPTIMIZERS.join(", ")}, got ${a.optimizer}`);
}
const variant = a.variant as typeof VARIANTS[number];
if (!VARIANTS.includes(variant)) {
  throw new Error(`--variant must be one of ${VARIANTS.join(", ")}, got ${variant}`);
}
if (!INPUTS[a.model!]) {
  throw new Error(`--model must be one of ${Object.keys(INPUTS).join(", ")}, got ${a.model}`);
}
const [batch, steps, warmup, pipelined, maxSeconds] = [
  a.batch,
  a.steps,
  a.warmup,
  a.pipelined,
  a["max-seconds"],
]
  .map(Number);
const label = `${variant}${a.graph ? "+graph" : ""}${a.tag ? `+${a.tag}` : ""}/${a.optimizer}`;
const flags: Record<string, string> = {};
for (const kv of a.env!.split(",").filter(Boolean)) {
  const [k, v] = kv.split("=");
  if (v === undefined) throw new Error(`--env wants KEY=VALUE,..., got ${kv}`);
  flags[k] = v;
  tf.env().set(k, v === "true" ? true : v === "false" ? false : Number.isNaN(Number(v)) ? v : Number(v));
}
const log = (msg: string) => console.error(`[tfjs ${a.model} ${label} b${batch}] ${msg}`);

installGpuCounters();
let setup: string[] = [];
if (variant !== "ours" && variant !== "phase2") {
  // The phase-1 layer: FastBatchNormalization's parent class is the stock BatchNormalization.
  FastBatchNormalization.prototype.call = Object.getPrototypeOf(FastBatchNormalization.prototype).call;
}
if (variant === "ours" || variant === "phase2" || variant === "phase1") {
  const info = await initBackend("webgpu", { dispatchCache: variant === "ours" });
  setup = info.kernels;
  // --conv, --input-grad, --filter-grad: tfjs's, our implicit-GEMM or direct convolutions
  // (lib/backends/kernels/webgpu_conv2d.ts), our split-K or direct filter gradients (webgpu_filter_grad.ts).
  if (Object.keys(kernelChoice).length > 0) {
    const ours = registerTrainingKernels("webgpu", kernelChoice as Partial<TrainingKernelChoice>);
    setup = [
      ...new Set([
        ...setup.filter((k) =>
          !/^(Conv2D|FusedConv2D|Conv2DBackpropInput|Conv2DBackpropFilter|MaxPoolGrad|Relu|BatchMatMul|_FusedMatMul):/
            .test(k)
        ),
        ...ours,
      ]),
    ];
  }
  if (a["no-in-place"] || variant === "phase1" || variant === "phase2") {
    // (the SGD step as two kernels a variable, the moving averages as one kernel a statistic)
    unregisterWebGpuKernels(["inPlace"]);
    setup = setup.filter((k) => !k.endsWith("InPlace"));
  }
  if (variant === "phase1") {
    unregisterWebGpuKernels(["batchNorm", "fusedSgd", "reluGrad"]);
    setup = setup.filter((k) => !k.startsWith("Our"));
  }
  log(`adapter: ${JSON.stringify(info.adapter)}`);
} else {
  // stock: tfjs's own backend; the dw variants: ours with its modes off (the same as stock but for our kernels).
  const name = variant === "stock" ? "webgpu" : WEBGPU_BACKEND;
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend did not initialise`);
  await tf.ready();
  if (variant !== "stock") {
    setup = registerTrainingKernels("webgpu", { conv: "stock", inputGrad: "stock", filterGrad: "tiled" });
  }
  if (variant === "dw+grads") {
    registerFastBatchNormGrad();
    registerReductionGrads();
    setup.push("FusedBatchNormGrad:fast", "SumGrad/MeanGrad:fill");
  }
}
const adapterFeatures = [...((tf.backend() as unknown as { device: GPUDevice }).device?.features ?? [])];

const { model } = buildModel(a.model!, { inputShape: INPUTS[a.model!], numClasses: 10, seed: 1 });
const x = tf.randomNormal([batch, ...INPUTS[a.model!]], 0, 1, "float32", 1);
const y = tf.oneHot(tf.randomUniform([batch], 0, 10, "int32", 2), 10);
const lossFn = () =>
  tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
const momentumSgd = new MomentumSgd(variables, { momentum: 0.9, weightDecay: 5e-4 });
const plainSgd = tf.train.sgd(0.01);
/** One training step; returns the loss (the caller reads and disposes it). */
const step = (): tf.Scalar => {
  if (a.optimizer === "sgd") return plainSgd.minimize(lossFn, true)!;
  const { value, grads } = tf.variableGrads(lossFn, variables);
  momentumSgd.step(grads, 0.01);
  tf.dispose(grads);
  return value;
};

const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

/**
 * The step as the measurements see it: `enqueue` queues one step, `read` waits for the last queued step's
 * loss. Through tfjs, or (`--graph`) by replaying a step graph captured in the warm-up.
 */
interface Runner {
  enqueue(): void;
  read(): Promise<number>;
}
const device = (tf.backend() as unknown as { device: GPUDevice }).device;
let graph: StepGraph | null = null;
let graphInfo: Record<string, unknown> = {};
let firstRecording: Recording | null = null;
const slot = a.graph ? new ReadbackSlots(device, 1, 4) : null;
let last: tf.Scalar | null = null;
const runner: Runner = {
  enqueue() {
    if (graph) return graph.replay([], slot!.sink(0));
    last?.dispose();
    last = step();
  },
  async read() {
    if (graph) return (await slot!.read())[0];
    const v = (await last!.data())[0];
    last!.dispose();
    last = null;
    return v;
  },
};

// Warm-up (pipelines compile here), then synced steps: read the loss back after each. With --graph the
// first three warm-up steps are captures: the first step of a process also makes lazily created constants,
// so the second and third are compared.
const first: number[] = [];
for (let i = 0; i < warmup; i++) {
  const t0 = performance.now();
  if (a.graph && i < 3) {
    const g = captureStep(() => [step()], []);
    if (i < 2) {
      // Only its recording is kept (see lib/train/graph_steps.ts on why the first graph goes at once).
      firstRecording = g.recording;
      graphInfo = { firstCaptureUnreplayable: g.unreplayable };
      g.dispose();
    } else {
      const same = sameRecording(firstRecording!, g.recording);
      graphInfo = {
        ...graphInfo,
        sameRecording: same,
        unreplayable: g.unreplayable,
        dispatches: g.dispatchCount,
      };
      if (!same || g.unreplayable !== null) {
        throw new Error(`--graph: not replayable: ${JSON.stringify(graphInfo)}`);
      }
      graph = g;
    }
    await device.queue.onSubmittedWorkDone();
  } else {
    runner.enqueue();
    await runner.read();
  }
  first.push(performance.now() - t0);
  log(`warm-up step ${i + 1}: ${first[i].toFixed(0)} ms`);
}
if (a.graph && !graphInfo.dispatches) throw new Error("--graph needs --warmup ≥ 3");
const cache = dispatchCacheStats(tf.backend());
const cacheBefore = cache && { ...cache };
const enqueue: number[] = [], wall: number[] = [];
const losses: number[] = [];
let perStep = {};
const tStart = performance.now();
for (let i = 0; i < steps; i++) {
  const before = snapshot();
  const t0 = performance.now();
  runner.enqueue();
  const t1 = performance.now();
  losses.push(await runner.read());
  const t2 = performance.now();
  enqueue.push(t1 - t0);
  wall.push(t2 - t0);
  if (i === 0) perStep = diff(before, snapshot());
  if ((performance.now() - tStart) / 1000 > maxSeconds) {
    log(`stopping after ${i + 1} synced steps (--max-seconds ${maxSeconds})`);
    break;
  }
}
// Dispatch-cache counters per synced step (hits / dispatches of the cached path).
const cachePerStep = cache && cacheBefore &&
  Object.fromEntries(
    ([
      "dispatches",
      "stock",
      "uniformHits",
      "uniformMisses",
      "bindGroupHits",
      "bindGroupMisses",
      "clears",
    ] as const)
      .map((k) => [k, round((cache[k] - cacheBefore[k]) / wall.length, 1)]),
  );
const medianMs = median(wall);
log(`synced: median ${medianMs.toFixed(1)} ms (enqueue ${median(enqueue).toFixed(1)} ms)`);

// Pipelined: keep the GPU fed, read only the last loss (as a training loop that logs every N steps would).
let pipelinedMs: number | null = null;
const nPipe = Math.min(pipelined, Math.max(1, Math.floor((maxSeconds * 1000) / medianMs)));
if (nPipe > 1) {
  const t0 = performance.now();
  for (let i = 0; i < nPipe; i++) runner.enqueue();
  losses.push(await runner.read());
  pipelinedMs = (performance.now() - t0) / nPipe;
  log(`pipelined: ${pipelinedMs.toFixed(1)} ms/step over ${nPipe} steps`);
}

let profile = null;
if (a.profile) {
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    const loss = step();
    await loss.data();
    return loss;
  });
  const profiledWallMs = performance.now() - t0;
  const byKernel = new Map<string, { calls: number; ms: number }>();
  for (const k of info.kernels) {
    const e = byKernel.get(k.name) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    byKernel.set(k.name, e);
  }
  const kernels = [...byKernel.entries()].map(([name, e]) => ({ name, calls: e.calls, ms: round(e.ms, 2) }))
    .sort((p, q) => q.ms - p.ms);
  // The same by kernel and input shapes (which layer's kernel takes the time), the 20 longest.
  const byShape = new Map<string, { name: string; inputShapes: string; calls: number; ms: number }>();
  for (const k of info.kernels) {
    const inputShapes = k.inputShapes.map((s) => `[${s?.join(",") ?? ""}]`).join(" ");
    const key = `${k.name} ${inputShapes}`;
    const e = byShape.get(key) ?? { name: k.name, inputShapes, calls: 0, ms: 0 };
    e.calls++;
    e.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    byShape.set(key, e);
  }
  const shapes = [...byShape.values()].map((e) => ({ ...e, ms: round(e.ms, 3) })).sort((p, q) => q.ms - p.ms)
    .slice(0, 20);
  profile = {
    profiledWallMs: round(profiledWallMs),
    kernelCount: info.kernels.length,
    kernelMsSum: round(kernels.reduce((s, k) => s + k.ms, 0), 2),
    kernels,
    shapes,
  };
  log(`profile: ${info.kernels.length} kernels, ${profile.kernelMsSum} ms GPU time summed`);
}

const result = {
  impl: "tfjs-webgpu",
  variant: label,
  optimizer: a.optimizer,
  model: a.model,
  batch,
  setup,
  flags,
  adapterFeatures,
  firstStepMs: round(first[0] ?? NaN),
  syncedSteps: wall.length,
  medianMs: round(medianMs, 2),
  medianEnqueueMs: round(median(enqueue), 2),
  imgPerSec: Math.round(batch / (medianMs / 1000)),
  pipelinedMs: pipelinedMs === null ? null : round(pipelinedMs, 2),
  pipelinedImgPerSec: pipelinedMs === null ? null : Math.round(batch / (pipelinedMs / 1000)),
  losses: losses.map((l) => round(l, 4)),
  finite: losses.every(Number.isFinite),
  numTensors: tf.memory().numTensors,
  gpuCallsPerStep: perStep,
  dispatchCachePerStep: cachePerStep,
  profile,
  graph: a.graph ? graphInfo : null,
};
console.log(`RESULT ${JSON.stringify(result)}`);
Deno.exit(0);
