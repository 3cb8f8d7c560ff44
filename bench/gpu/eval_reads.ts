/**
 * What reads from the GPU cost an evaluation on webgpu, and what the device bookkeeping of the attacks
 * (lib/attacks/device_tracker.ts) saves of it.
 *
 * 1. Latency of one read: a 4-byte `mapAsync` after a copy, one at a time and 8 at once, on the backend's own
 *    device, then a tfjs `data()` of a small tensor computed on the GPU. Deno's WebGPU resolves each
 *    `mapAsync` after polling the device and sleeping 10 ms, so one read costs ≥ 10 ms however small the work,
 *    while reads started together share it.
 * 2. The `attack-eval` stage's evaluation of network `a{alpha}-s{seed}` (params.yaml's `attack` section, the
 *    stage's own setup) with each bookkeeping, `--repeat` times in turn: seconds, reads (`mapAsync` calls)
 *    and whether both give the same robust accuracy per sample (they must: the bookkeepings differ only in
 *    when rows leave the batch).
 *
 * Run from the project root after `deno task repro` (it needs outputs/data and outputs/models):
 * `deno run -A bench/gpu/eval_reads.ts --alpha 0 --seed 1 [--backend webgpu] [--repeat 2]`. Prints a
 * Markdown table; on wasm only part 2 runs (its reads are copies in memory).
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { evaluateAttacks } from "../../lib/attacks/evaluate.ts";
import { inferenceLogits } from "../../lib/attacks/model.ts";
import type { Tracking } from "../../lib/attacks/tracking.ts";
import { stratifiedSample } from "../../lib/data/split.ts";
import { deriveSeed } from "../../lib/random.ts";
import { parseAttackArgs, parseAttackParams } from "../../stages/attack_eval.ts";
import { attackSettings } from "../../stages/support/attack_params.ts";
import { quantileSorted } from "../../lib/stats/descriptive.ts";
import { stageParams } from "../../stages/support/params.ts";
import { openRun } from "../../stages/support/run_cli.ts";

const { values: cli } = parseArgs({
  args: Deno.args,
  options: { repeat: { type: "string", default: "2" } },
  strict: false,
});
const repeat = Number(cli.repeat);
const stageArgs = Deno.args.filter((a, i, all) => a !== "--repeat" && all[i - 1] !== "--repeat");

/** Counts `mapAsync` calls from here on (every read of tfjs-webgpu goes through one). */
function countMaps(): { calls: () => number } {
  let n = 0;
  const proto = (globalThis as { GPUBuffer?: { prototype: GPUBuffer } }).GPUBuffer?.prototype;
  if (proto) {
    const original = proto.mapAsync;
    proto.mapAsync = function (this: GPUBuffer, ...a: Parameters<GPUBuffer["mapAsync"]>) {
      n++;
      return original.apply(this, a);
    };
  }
  return { calls: () => n };
}

const median = (v: number[]) => quantileSorted([...v].sort((a, b) => a - b), 0.5);

/** Milliseconds of one 4-byte read (median of 20), and of 8 reads started together. */
async function readLatency(device: GPUDevice): Promise<{ one: number; eight: number; tfjs: number }> {
  const src = device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const dst = Array.from(
    { length: 8 },
    () => device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
  );
  const copyTo = (bufs: GPUBuffer[]) => {
    const enc = device.createCommandEncoder();
    for (const b of bufs) enc.copyBufferToBuffer(src, 0, b, 0, 4);
    device.queue.submit([enc.finish()]);
  };
  const one: number[] = [], eight: number[] = [], tfjsReads: number[] = [];
  for (let i = 0; i < 20; i++) {
    let t = performance.now();
    copyTo([dst[0]]);
    await dst[0].mapAsync(GPUMapMode.READ);
    dst[0].unmap();
    one.push(performance.now() - t);
    t = performance.now();
    copyTo(dst);
    await Promise.all(dst.map((b) => b.mapAsync(GPUMapMode.READ)));
    for (const b of dst) b.unmap();
    eight.push(performance.now() - t);
    t = performance.now();
    // 4096 values: tfjs-webgpu computes small tensors of CPU-held inputs on the CPU, which would read nothing.
    const s = tf.tidy(() => tf.add(tf.fill([4096], i), 1));
    await s.data();
    s.dispose();
    tfjsReads.push(performance.now() - t);
  }
  src.destroy();
  for (const b of dst) b.destroy();
  return { one: median(one), eight: median(eight), tfjs: median(tfjsReads) };
}

async function main(): Promise<void> {
  const maps = countMaps();
  const args = parseAttackArgs(stageArgs);
  const p = parseAttackParams(stageParams());
  const { info, data, model } = await openRun(args);
  const test = data.test;
  const indices = p.n_examples === null
    ? Uint32Array.from({ length: test.n }, (_, i) => i)
    : stratifiedSample(test.labels, p.n_examples, deriveSeed(p.seed, "attack-subset"));
  const settings = attackSettings(p.pgd, p.apgd, deriveSeed(p.seed, "attack-starts"));
  console.log(
    `backend ${info.backend} (${info.device}); ${indices.length} images, ${p.attacks.join(", ")}\n`,
  );
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (device) {
    const l = await readLatency(device);
    console.log("| read | ms |\n|---|---:|");
    console.log(`| one 4-byte mapAsync | ${l.one.toFixed(2)} |`);
    console.log(`| 8 mapAsync started together | ${l.eight.toFixed(2)} |`);
    console.log(`| tfjs data() of 4096 values computed on the GPU | ${l.tfjs.toFixed(2)} |\n`);
  }
  const f = inferenceLogits(model);
  const rows: string[] = [];
  let reference: Uint8Array[] | null = null;
  for (let r = 0; r < repeat; r++) {
    for (const tracking of ["shrink", "device"] as Tracking[]) {
      const before = maps.calls();
      const t0 = performance.now();
      const ev = await evaluateAttacks(f, { ...test, indices }, {
        attacks: p.attacks,
        eps: { linf: p.eps_linf_255.map((e) => e / 255), l2: p.eps_l2 },
        settings: { ...settings, tracking },
        batchSize: p.batch_size,
        examples: p.example_images,
      });
      const seconds = (performance.now() - t0) / 1000;
      const robust = ev.outcomes.map((o) => o.robust);
      reference ??= robust;
      const same = robust.every((v, i) => v.every((b, j) => b === reference![i][j]));
      rows.push(`| ${r + 1} | ${tracking} | ${seconds.toFixed(2)} | ${maps.calls() - before} | ${same} |`);
    }
  }
  console.log("| round | bookkeeping | seconds | reads | same robust samples as the first |");
  console.log("|---:|---|---:|---:|---|");
  for (const row of rows) console.log(row);
}

if (import.meta.main) {
  await main();
  Deno.exit(0); // wasm worker threads and the GPU device would keep the process alive
}
