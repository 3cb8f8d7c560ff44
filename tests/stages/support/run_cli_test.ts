import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { parseRunArgs, warmBackend } from "../../../stages/support/run_cli.ts";
import { initBackend } from "../../../lib/backends/select.ts";
import { probeWebGpuAdapter } from "../../../lib/backends/webgpu/adapter.ts";
import { WEBGPU_BACKEND } from "../../../lib/backends/webgpu/backend.ts";

const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });
const base = ["--alpha", "0.5", "--seed", "1"];

Deno.test("threads: any whole number ≥ 1 from the flag or PIPELINE_THREADS, else unset", () => {
  assert.equal(parseRunArgs("s", [...base, "--threads", "1"], {}, env({})).threads, 1);
  assert.equal(parseRunArgs("s", base, {}, env({ PIPELINE_THREADS: "3" })).threads, 3);
  assert.equal(parseRunArgs("s", base, {}, env({ PIPELINE_THREADS: "" })).threads, undefined);
  for (const bad of ["0", "1.5", "x"]) {
    assert.throws(
      () => parseRunArgs("s", [...base, "--threads", bad], {}, env({})),
      /threads .* positive integer/,
    );
  }
});

Deno.test("warmBackend: readies the webgpu backend that PIPELINE_BACKEND names; leaves other backends to the stage", async () => {
  await tf.setBackend("cpu");
  await warmBackend(env({ PIPELINE_BACKEND: "wasm" }));
  await warmBackend(env({}));
  assert.equal(tf.getBackend(), "cpu", "wasm and auto are not touched (wasm's thread count is the stage's)");
  if ((await probeWebGpuAdapter()) === null) {
    return console.warn("warmBackend webgpu: no WebGPU adapter (mesa-vulkan-drivers)");
  }
  await warmBackend(env({ PIPELINE_BACKEND: "webgpu" }));
  assert.equal(tf.getBackend(), WEBGPU_BACKEND);
  const info = await initBackend("webgpu");
  assert.equal(tf.getBackend(), WEBGPU_BACKEND, "the stage's own initialisation finds it ready");
  assert.ok(info.kernels.length > 0);
});
