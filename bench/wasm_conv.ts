/**
 * Micro-benchmark: our wasm convolution kernels against the ones they replace, side by side in one process, on
 * the convolutions the cnn and ResNet20 train (batch 128): the forward pass (Winograd against tfjs's XNNPACK
 * `Conv2D`), the input gradient (Winograd, or the direct SIMD kernel at stride 2, against `xconv`, which
 * convolves through XNNPACK) and the filter gradient (Winograd against the direct SIMD kernel). Inputs are
 * random and stay in memory, so this measures the kernels alone; a training step adds the rest
 * (bench/train.ts). Prints one line per convolution: the best of `--reps` runs of each, in ms, and the ratio
 * old ÷ ours.
 *
 * Usage: deno run -A bench/wasm_conv.ts [--threads 2] [--reps 7]
 *   (add --v8-flags=--no-liftoff before -A to skip V8's baseline tier, which the first runs would otherwise use)
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { initBackend } from "../lib/backends/select.ts";
import { type KernelFn, requireStockKernel } from "../lib/backends/kernels/kernel_registry.ts";
import {
  conv2dWinograd,
  filterGradWinograd,
  inputGradWinograd,
} from "../lib/backends/kernels/wasm_winograd.ts";
import { filterGradSimd, inputGradSimd } from "../lib/backends/kernels/wasm_simd.ts";
import { inputGradXconv } from "../lib/backends/kernels/conv_grad.ts";

/** x, filter and stride of each convolution. */
const CONVS: { model: string; x: number[]; f: number[]; stride: number }[] = [
  { model: "cnn", x: [128, 28, 28, 16], f: [3, 3, 16, 32], stride: 1 },
  { model: "cnn", x: [128, 14, 14, 32], f: [3, 3, 32, 64], stride: 1 },
  { model: "resnet20", x: [128, 32, 32, 16], f: [3, 3, 16, 16], stride: 1 },
  { model: "resnet20", x: [128, 16, 16, 32], f: [3, 3, 32, 32], stride: 1 },
  { model: "resnet20", x: [128, 8, 8, 64], f: [3, 3, 64, 64], stride: 1 },
  { model: "resnet20", x: [128, 32, 32, 16], f: [3, 3, 16, 32], stride: 2 },
  { model: "resnet20", x: [128, 16, 16, 32], f: [3, 3, 32, 64], stride: 2 },
];

const never: KernelFn = () => {
  throw new Error("bench/wasm_conv.ts: a kernel fell back; the table would compare the wrong kernels");
};

/** The best time of `reps` runs of `kernel`, in ms. */
function best(kernel: KernelFn, args: Parameters<KernelFn>[0], reps: number): number {
  let ms = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const out = kernel(args);
    ms = Math.min(ms, performance.now() - t0);
    args.backend.disposeData(out.dataId);
  }
  return ms;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { threads: { type: "string", default: "2" }, reps: { type: "string", default: "7" } },
  });
  const reps = Number(values.reps);
  const info = await initBackend("wasm", { threads: Number(values.threads) });
  const backend = tf.backend();
  const xnnpack = requireStockKernel("Conv2D", "wasm");
  const rows = ["| model | x | filter | stride | pass | old | old ms | ours | ours ms | old ÷ ours |"];
  rows.push("|---|---|---|---:|---|---|---:|---|---:|---:|");
  for (const c of CONVS) {
    const x = tf.randomUniform(c.x), f = tf.randomUniform(c.f);
    const o = Math.ceil(c.x[1] / c.stride);
    const dy = tf.randomUniform([c.x[0], o, o, c.f[3]]);
    const attrs = {
      strides: [c.stride, c.stride],
      pad: "same",
      dataFormat: "NHWC",
      dilations: [1, 1],
      inputShape: c.x,
      filterShape: c.f,
    };
    const passes: [string, string, KernelFn, string, KernelFn, tf.NamedTensorInfoMap][] = c.stride === 1
      ? [
        ["forward", "XNNPACK", xnnpack, "Winograd", conv2dWinograd(never), { x, filter: f }],
        ["dx", "xconv", inputGradXconv("wasm"), "Winograd", inputGradWinograd(never), { dy, filter: f }],
        ["dW", "direct SIMD", filterGradSimd(never), "Winograd", filterGradWinograd(never), { x, dy }],
      ]
      : [["dx", "xconv", inputGradXconv("wasm"), "direct SIMD", inputGradSimd(never), { dy, filter: f }]];
    for (const [pass, oldName, old, oursName, ours, inputs] of passes) {
      const args = { inputs, attrs, backend };
      const [a, b] = [best(old, args, reps), best(ours, args, reps)];
      rows.push(
        `| ${c.model} | ${c.x.join("×")} | ${c.f.join("×")} | ${c.stride} | ${pass} | ${oldName} | ` +
          `${a.toFixed(1)} | ${oursName} | ${b.toFixed(1)} | ${(a / b).toFixed(2)} |`,
      );
    }
    tf.dispose([x, f, dy]);
  }
  console.log(`${info.device}, best of ${reps}`);
  console.log(rows.join("\n"));
  Deno.exit(0); // the SIMD pool's helper threads would keep the process alive
}
