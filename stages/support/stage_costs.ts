/**
 * What one stage run cost its process, for its run record (run_facts.ts): the CPU seconds of the whole process
 * (user + system, every thread: worker pools included) and, when `PIPELINE_GPU_COUNTERS=1`, the WebGPU calls it
 * made and the wall time inside them (lib/backends/webgpu/api_counters.ts: pipelines compiled, reads, submits,
 * uploads). In a persistent stage host one stage runs at a time, so the differences belong to the stage. Put
 * beside a stage's wall, they tell a stage that waits (on the GPU, on reads) from one that computes, and a
 * stage that compiles its shaders from one that finds them compiled.
 *
 * @example
 * ```ts
 * const costs = startStageCosts();
 * await work();
 * await recordRunFacts(costs.facts()); // { cpu_seconds: 1.9, gpu_api?: { "buffer.mapAsync": {…}, … } }
 * ```
 *
 * @module
 */
import process from "node:process";
import { type Counters, diff, installGpuCounters, snapshot } from "../../lib/backends/webgpu/api_counters.ts";

/** The environment variable that turns on the WebGPU call counters. */
export const GPU_COUNTERS_ENV = "PIPELINE_GPU_COUNTERS";

/** Costs counted from {@link startStageCosts} on. */
export interface StageCosts {
  /** `cpu_seconds` (to 0.01) and, with the counters on, `gpu_api`: calls, ms and bytes per WebGPU method. */
  facts(): { cpu_seconds: number; gpu_api?: Counters };
}

/** Starts counting now; with `PIPELINE_GPU_COUNTERS=1` in `env` the WebGPU methods are wrapped first. */
export function startStageCosts(env: { get(key: string): string | undefined } = Deno.env): StageCosts {
  const counting = env.get(GPU_COUNTERS_ENV) === "1" && installGpuCounters();
  const gpuBefore = counting ? snapshot() : null;
  const cpuBefore = process.cpuUsage();
  return {
    facts() {
      const cpu = process.cpuUsage(cpuBefore);
      const cpu_seconds = Math.round((cpu.user + cpu.system) / 1e4) / 100;
      return gpuBefore ? { cpu_seconds, gpu_api: diff(gpuBefore, snapshot()) } : { cpu_seconds };
    },
  };
}
