/**
 * What pruned shader modules (lib/backends/webgpu/wgsl_prune.ts) save a fresh process: a cnn training of one
 * epoch (step graphs, as the train stage runs on webgpu) in new processes, with pruning off and on in turn,
 * each reporting the wall ms spent creating shader modules and compute pipelines (api_counters.ts), the
 * modules' total size, and the training's wall. That first epoch is what each stage host pays before its
 * programs are compiled.
 *
 * Run: `deno run -A bench/gpu/wgsl_prune.ts [--rounds 3] [--images 2000]` (webgpu: a GPU, or llvmpipe). Each
 * round runs both, alternating which goes first.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

/** One process's figures. */
interface Probe {
  pruned: boolean;
  modules: number;
  moduleMs: number;
  pipelineMs: number;
  chars: number;
  trainMs: number;
}

async function probe(pruned: boolean, images: number): Promise<Probe> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      fileURLToPath(import.meta.url),
      "--child",
      pruned ? "on" : "off",
      "--images",
      `${images}`,
    ],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`the ${pruned ? "pruned" : "unpruned"} run failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

async function child(pruned: boolean, images: number): Promise<Probe> {
  const { installGpuCounters, snapshot } = await import("../../lib/backends/webgpu/api_counters.ts");
  const { initBackend } = await import("../../lib/backends/select.ts");
  const { makeSynthetic } = await import("../../lib/data/synthetic.ts");
  const { buildModel } = await import("../../lib/models/registry.ts");
  const { trainModel } = await import("../../lib/train/loop.ts");
  installGpuCounters();
  const proto = (globalThis as unknown as { GPUDevice: { prototype: GPUDevice } }).GPUDevice.prototype;
  const stock = proto.createShaderModule;
  let chars = 0;
  proto.createShaderModule = function (this: GPUDevice, d: GPUShaderModuleDescriptor) {
    chars += d.code.length;
    return stock.call(this, d);
  };
  await initBackend("webgpu", { prunedShaders: pruned });
  const split = (n: number, seed: number) => {
    const d = makeSynthetic({ n, classes: 10, shape: [28, 28, 1], seed });
    return { images: d.images, labels: d.labels, n, shape: d.shape };
  };
  const built = buildModel("cnn", { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  const t0 = performance.now();
  await trainModel(built, { train: split(images, 1), val: split(200, 2) }, {
    epochs: 1,
    batchSize: 128,
    lr: 0.05,
    schedule: { kind: "constant" },
    momentum: 0.9,
    weightDecay: 1e-4,
    alpha: 0.5,
    seed: 1,
    augmentation: { kind: "none" },
    evalBatchSize: 256,
    siEpsilon: 1e-7,
    siGrouping: "block",
    lossReadEvery: 16,
    stepGraphs: true,
  });
  const trainMs = performance.now() - t0;
  const c = snapshot();
  const calls = (m: string) => c[m] ?? { calls: 0, ms: 0 };
  return {
    pruned,
    modules: calls("device.createShaderModule").calls,
    moduleMs: calls("device.createShaderModule").ms,
    pipelineMs: calls("device.createComputePipeline").ms,
    chars,
    trainMs,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      child: { type: "string" },
      rounds: { type: "string", default: "3" },
      images: { type: "string", default: "2000" },
    },
  });
  const images = Number(values.images);
  if (values.child) {
    console.log(JSON.stringify(await child(values.child === "on", images)));
    Deno.exit(0);
  }
  const rows: Probe[] = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    const order = r % 2 === 0 ? [false, true] : [true, false];
    for (const pruned of order) rows.push(await probe(pruned, images));
  }
  console.log("| shaders | modules | KB of WGSL | modules ms | pipelines ms | first epoch ms |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const p of rows) {
    console.log(
      `| ${p.pruned ? "pruned" : "as tfjs writes them"} | ${p.modules} | ${(p.chars / 1024).toFixed(0)} | ` +
        `${p.moduleMs.toFixed(0)} | ${p.pipelineMs.toFixed(0)} | ${p.trainMs.toFixed(0)} |`,
    );
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const of = (pruned: boolean, f: (p: Probe) => number) =>
    median(rows.filter((p) => p.pruned === pruned).map(f));
  const compile = (p: Probe) => p.moduleMs + p.pipelineMs;
  console.log(
    `\nmedians, as written → pruned: modules + pipelines ${of(false, compile).toFixed(0)} → ` +
      `${of(true, compile).toFixed(0)} ms; first epoch ${of(false, (p) => p.trainMs).toFixed(0)} → ` +
      `${of(true, (p) => p.trainMs).toFixed(0)} ms`,
  );
}
