/**
 * stages/support/stage_costs.ts and its use in stages/support/entry.ts: a stage's run record gets the CPU
 * seconds its process spent, and with `PIPELINE_GPU_COUNTERS=1` the WebGPU calls it made (here on a real
 * device: llvmpipe in CI), counted from the stage's start, not the process's.
 */
import assert from "node:assert/strict";
import { initBackend } from "../../../lib/backends/select.ts";
import { probeWebGpuAdapter } from "../../../lib/backends/webgpu/adapter.ts";
import { stageEntry } from "../../../stages/support/entry.ts";
import { RUN_RECORD_ENV } from "../../../stages/support/run_facts.ts";
import { GPU_COUNTERS_ENV, startStageCosts } from "../../../stages/support/stage_costs.ts";

const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });

/** Keeps the CPU busy for `ms` milliseconds. */
function spin(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}

/** This process's CPU seconds as the kernel counts them (/proc/self/stat: utime + stime, 100 ticks a second). */
function procCpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // fields 14 and 15, counted from the state (3)
}

Deno.test("startStageCosts: CPU seconds of the work since the start, and no GPU counts unless asked", () => {
  const costs = startStageCosts(env({}));
  const before = procCpuSeconds();
  // Spin until the kernel has counted 0.3 CPU seconds: a loaded machine stretches the wall time, not this.
  while (procCpuSeconds() - before < 0.3) spin(10);
  const counted = procCpuSeconds() - before;
  const facts = costs.facts();
  assert.ok(
    Math.abs(facts.cpu_seconds - counted) <= 0.05,
    `cpu_seconds ${facts.cpu_seconds}, kernel ${counted}`,
  );
  assert.equal("gpu_api" in facts, false);
  const idle = startStageCosts(env({}));
  assert.ok(idle.facts().cpu_seconds < 0.1, "a fresh start counts from zero");
});

const noAdapter = (await probeWebGpuAdapter()) === null;

Deno.test({
  name: "stageEntry with PIPELINE_GPU_COUNTERS=1: the run record counts the stage's own reads and submits",
  ignore: noAdapter,
  fn: async () => {
    await initBackend("cpu");
    const adapter = (await navigator.gpu.requestAdapter())!;
    const device = await adapter.requestDevice();
    const read = async () => {
      const b = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(b, 0, new Float32Array([1, 2, 3, 4]));
      device.queue.submit([]);
      await b.mapAsync(GPUMapMode.READ);
      b.unmap();
      b.destroy();
    };
    await read(); // before the stage: not its cost
    const dir = await Deno.makeTempDir();
    const record = `${dir}/facts.json`;
    Deno.env.set(GPU_COUNTERS_ENV, "1");
    Deno.env.set(RUN_RECORD_ENV, record);
    try {
      const main = stageEntry(async () => {
        await read();
        await read();
      });
      assert.equal(await main([]), 0);
    } finally {
      Deno.env.delete(GPU_COUNTERS_ENV);
      Deno.env.delete(RUN_RECORD_ENV);
    }
    const facts = JSON.parse(await Deno.readTextFile(record));
    assert.equal(typeof facts.cpu_seconds, "number");
    assert.equal(facts.gpu_api["buffer.mapAsync"].calls, 2, JSON.stringify(facts.gpu_api));
    assert.equal(facts.gpu_api["queue.submit"].calls, 2);
    assert.equal(facts.gpu_api["queue.writeBuffer"].bytes, 32);
    assert.ok(facts.gpu_api["buffer.mapAsync"].ms > 0);
    device.destroy();
    await Deno.remove(dir, { recursive: true });
  },
});
