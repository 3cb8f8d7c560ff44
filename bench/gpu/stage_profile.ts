/**
 * Where one stage's GPU time goes: runs a stage's exported `main` (stages/support/entry.ts) in this process
 * under `tf.profile`, then prints the stage's wall, the kernels it ran through tfjs and their GPU time summed
 * (timestamp queries; on a backend without them, the backend's own kernel timer), the kernels that took the
 * most time by name and by name and input shapes, and the number of `mapAsync` reads. Work replayed from a
 * step graph (lib/backends/webgpu/step_graph.ts) is not seen kernel by kernel; its dispatches count as one
 * submit.
 *
 * Run from the project root of a tree whose upstream outputs exist (e.g. after `deno task repro`), with the
 * stage's own arguments, e.g.
 * `PIPELINE_BACKEND=webgpu deno run -A bench/gpu/stage_profile.ts stages/measure_dimensionality.ts --alpha 0
 * --seed 1 --out /tmp/dim [--top 15]`. `--out` keeps the stage from writing over the tree's outputs; the run
 * record goes where `PIPELINE_RUN_RECORD` says (nowhere when unset).
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import type { StageMain } from "../../stages/support/entry.ts";
import { diff, installGpuCounters, snapshot } from "../../lib/backends/webgpu/api_counters.ts";

/** GPU milliseconds and calls summed per key. */
interface Totals {
  calls: number;
  ms: number;
}

const [modulePath, ...rest] = Deno.args;
if (!modulePath) {
  console.error("usage: deno run -A bench/gpu/stage_profile.ts <stage module> [stage args] [--top N]");
  Deno.exit(2);
}
const topAt = rest.indexOf("--top");
const top = topAt >= 0 ? Number(rest[topAt + 1]) : 15;
const stageArgs = topAt >= 0 ? rest.filter((_, i) => i !== topAt && i !== topAt + 1) : rest;

const mod = await import(pathToFileURL(resolve(modulePath)).href) as { main?: StageMain };
if (typeof mod.main !== "function") {
  console.error(`${modulePath} exports no main(argv): only stages written with stageEntry can be profiled`);
  Deno.exit(2);
}
const main = mod.main;

installGpuCounters();
const before = snapshot();

let code = -1;
const t0 = performance.now();
const info = await tf.profile(async () => {
  code = await main(stageArgs);
  return [];
});
const wallMs = performance.now() - t0;
const maps = diff(before, snapshot())["buffer.mapAsync"] ?? { calls: 0 };

const byName = new Map<string, Totals>();
const byShape = new Map<string, Totals>();
let gpuMs = 0;
for (const k of info.kernels) {
  const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
  gpuMs += ms;
  const shapes = `${k.name} ${k.inputShapes.map((s) => `[${s?.join(",") ?? ""}]`).join(" ")}`;
  for (const [map, key] of [[byName, k.name], [byShape, shapes]] as const) {
    const t = map.get(key) ?? { calls: 0, ms: 0 };
    t.calls++;
    t.ms += ms;
    map.set(key, t);
  }
}
const table = (title: string, map: Map<string, Totals>) => {
  console.log(`\n| ${title} | calls | GPU ms | share |\n| --- | ---: | ---: | ---: |`);
  for (const [key, t] of [...map.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
    console.log(`| ${key} | ${t.calls} | ${t.ms.toFixed(2)} | ${(100 * t.ms / (gpuMs || 1)).toFixed(1)} % |`);
  }
};
console.log(
  `\n${modulePath} ${stageArgs.join(" ")}: exit ${code}, wall ${(wallMs / 1000).toFixed(2)} s, ` +
    `${info.kernels.length} kernels through tfjs, GPU ${gpuMs.toFixed(1)} ms summed, ` +
    // The reads overlap (their waits do not add up to time spent), and tf.profile reads its own timestamps.
    `${maps.calls} reads (mapAsync, the profiler's timestamp reads among them)`,
);
table("kernel", byName);
table("kernel and input shapes", byShape);
Deno.exit(code);
