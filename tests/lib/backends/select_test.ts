import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";
import { assert, assertEqualJson, assertRejects } from "./assert.ts";
import { type BackendChoice, initBackend } from "../../../lib/backends/select.ts";
import { probeWebGpuAdapter } from "../../../lib/backends/webgpu/adapter.ts";
import { TFJS_NODE_PACKAGES } from "../../../lib/backends/tfjs_node.ts";

const tfjsNodeInstalled = TFJS_NODE_PACKAGES.some((p) => {
  try {
    createRequire(import.meta.url).resolve(p);
    return true;
  } catch {
    return false;
  }
});

Deno.test("initBackend('wasm', {threads: 2}) runs the threaded SIMD binary with our kernels", async () => {
  const info = await initBackend("wasm", { threads: 2 });
  assertEqualJson(tf.getBackend(), "wasm", "active backend");
  assertEqualJson([info.backend, info.threads, info.simd], ["wasm", 2, true], "backend, threads, simd");
  assertEqualJson(
    info.kernels,
    [
      "Conv2D:winograd",
      "Conv2DBackpropFilter:winograd",
      "Conv2DBackpropInput:winograd",
      "MaxPoolGrad:simd",
      "BatchMatMul:transpose",
      "Sum:simd",
      "Mean:simd",
      "Identity:share",
      "Slice:simd",
      "OurBatchNormStats",
      "OurBatchNormApply",
      "OurBatchNormGradReduce",
      "OurBatchNormGradInput",
      "OurMovingAverage",
      "OurReluGrad",
    ],
    "kernels",
  );
  assert(info.fastBatchNormGrad && info.device.includes("2 thread"), `device: ${info.device}`);
  assertEqualJson(JSON.parse(JSON.stringify(info)), info, "JSON round trip");
  // A conv training step needs Conv2DBackpropFilter, which stock wasm lacks.
  const w = tf.variable(tf.ones([3, 3, 1, 2]));
  const loss = tf.variableGrads(() =>
    tf.sum(tf.conv2d(tf.ones([1, 5, 5, 1]) as tf.Tensor4D, w as tf.Tensor as tf.Tensor4D, 1, "same"))
  );
  assertEqualJson(
    Array.from(await loss.grads[w.name].data()).slice(0, 2),
    [16, 16],
    "dW of a sum (4·4 window hits)",
  );
});

Deno.test("the wasm thread count cannot change after initialisation", async () => {
  await initBackend("wasm", { threads: 2 });
  await assertRejects(() => initBackend("wasm", { threads: 1 }), /already initialised with 2/, "threads 1");
  await assertRejects(() => initBackend("wasm", { threads: 0 }), /positive integer/, "threads 0");
});

Deno.test("initBackend('cpu') installs the composed kernels", async () => {
  const info = await initBackend("cpu");
  assertEqualJson([tf.getBackend(), info.threads, info.simd], ["cpu", 1, false], "cpu info");
  assertEqualJson(
    info.kernels,
    ["Conv2DBackpropFilter:tconv", "Conv2DBackpropInput:xconv", "MaxPoolGrad:js"],
    "kernels",
  );
});

Deno.test({
  name: "initBackend('tensorflow') fails cleanly when tfjs-node is not installed",
  ignore: tfjsNodeInstalled,
  fn: async () => {
    await assertRejects(
      () => initBackend("tensorflow"),
      /tfjs-node-gpu is not installed.*tfjs-node is not/,
      "msg",
    );
  },
});

Deno.test("initBackend rejects an unknown backend name, listing the valid ones", async () => {
  await assertRejects(
    () => initBackend("gpu" as BackendChoice),
    /unknown backend 'gpu'.*webgpu, wasm, cpu/,
    "msg",
  );
});

Deno.test("auto skips tensorflow when absent and webgpu on a software adapter", async () => {
  const adapter = await probeWebGpuAdapter();
  const hardwareGpu = adapter !== null && !adapter.isFallbackAdapter;
  const expected = tfjsNodeInstalled ? "tensorflow" : hardwareGpu ? "webgpu" : "wasm";
  const info = await initBackend("auto", { threads: 2 });
  assertEqualJson(info.backend, expected, "auto choice");
  if (expected === "wasm") {
    assert(info.skipped?.[0].startsWith("tensorflow: "), `skipped: ${info.skipped}`);
    const why = adapter ? /only a software WebGPU adapter/ : /no WebGPU adapter/;
    assert(why.test(info.skipped?.[1] ?? ""), `webgpu skip reason: ${info.skipped?.[1]}`);
  }
});
