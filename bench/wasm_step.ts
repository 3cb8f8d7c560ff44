/**
 * Micro-benchmark: training-step throughput of the small CNN (conv32-pool-conv64-pool-dense128-dense10 on
 * 28×28×1, softmax cross-entropy, SGD) with our kernels. Inputs are random tensors held in memory, so this
 * measures compute only. Prints one JSON line: backend info, median/min/max step ms and img/s.
 *
 * Usage: deno run -A bench/wasm_step.ts [--backend wasm] [--threads 2] [--batch 128] [--steps 10] [--warmup 3]
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { parseArgs } from "node:util";
import { type BackendChoice, initBackend } from "../lib/backends/select.ts";

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    threads: { type: "string", default: "2" },
    batch: { type: "string", default: "128" },
    steps: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
  },
});
const [threads, batch, steps, warmup] = [values.threads, values.batch, values.steps, values.warmup].map(
  Number,
);

const info = await initBackend(values.backend as BackendChoice, { threads });
const model = tfl.sequential({
  layers: [
    tfl.layers.conv2d({
      inputShape: [28, 28, 1],
      filters: 32,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
    }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: "same", activation: "relu" }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 128, activation: "relu" }),
    tfl.layers.dense({ units: 10 }),
  ],
});
const optimizer = tf.train.sgd(0.01);
const x = tf.randomNormal([batch, 28, 28, 1], 0, 1, "float32", 1);
const y = tf.oneHot(tf.randomUniform([batch], 0, 10, "int32", 2), 10);

const times: number[] = [];
const losses: number[] = [];
for (let i = 0; i < warmup + steps; i++) {
  const t0 = performance.now();
  const loss = optimizer.minimize(
    () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
    true,
  )!;
  losses.push((await loss.data())[0]);
  loss.dispose();
  if (i >= warmup) times.push(performance.now() - t0);
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
console.log(JSON.stringify({
  info,
  batch,
  steps,
  medianMs: +median.toFixed(1),
  minMs: +sorted[0].toFixed(1),
  maxMs: +sorted[sorted.length - 1].toFixed(1),
  imgPerSec: Math.round(batch / (median / 1000)),
  firstLoss: losses[0],
  lastLoss: losses[losses.length - 1],
  numTensors: tf.memory().numTensors,
}));
// The wasm pthread workers keep the event loop alive.
Deno.exit(0);
