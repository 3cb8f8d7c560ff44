/**
 * A read-back after the device rejected a command names the device's own error and what to do
 * (lib/backends/webgpu/device_errors.ts), on a real WebGPU device (llvmpipe in CI): a tensor one page past the
 * device's maximum buffer size is the rejection that needs no GPU memory to provoke.
 */
import * as tf from "@tensorflow/tfjs-core";
import { assert } from "../assert.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import { asSelectivityWebGpu } from "../../../../lib/backends/webgpu/backend.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) {
  console.warn(
    "webgpu device-error test skipped: no WebGPU adapter (apt-get install -y mesa-vulkan-drivers)",
  );
}

Deno.test({
  name: "webgpu: a read-back after a rejected buffer says why (the device's message) and what to do",
  ignore: noAdapter,
  fn: async () => {
    await initBackend("webgpu");
    const backend = asSelectivityWebGpu(tf.backend(), "device_errors_test");
    const n = Math.floor(backend.internals.device.limits.maxBufferSize / 4) + 1024;
    let message = "";
    try {
      await tf.tidy(() => tf.add(tf.fill([n], 1), 1)).data();
    } catch (e) {
      message = (e as Error).message;
    }
    assert(message.includes("validation error occurred"), `the failure itself is kept: ${message}`);
    assert(/greater than the maximum buffer size/.test(message), `the device's own reason: ${message}`);
    assert(/use smaller batches/.test(message) && /MiB in tensors/.test(message), `what to do: ${message}`);
    // The device is still usable afterwards.
    const ok = await tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1)).data();
    assert(ok[0] === 2 && ok[1] === 3, `a later op works: ${Array.from(ok)}`);
  },
});
