/**
 * A program the device rejects (lib/backends/webgpu/pipeline_checks.ts) makes the next read throw, naming the
 * program, instead of returning its reused output buffer's stale contents; on a real WebGPU device (llvmpipe
 * in CI). The stale value is arranged on purpose: the rejected program's output reuses the buffer of a freed
 * tensor of the same size, which is what a read would see without the check. Both reads are covered: tfjs's,
 * and the step-graph trainer's readback slots. A rejection poisons the backend for good, so both are one test.
 */
import * as tf from "@tensorflow/tfjs-core";
import { assert } from "../assert.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import { asSelectivityWebGpu } from "../../../../lib/backends/webgpu/backend.ts";
import { ElementwiseProgram, runProgram } from "../../../../lib/backends/webgpu/program.ts";
import { RejectedShaderError } from "../../../../lib/backends/webgpu/pipeline_checks.ts";
import { GraphStepper, type TrainOnce } from "../../../../lib/train/graph_steps.ts";

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) {
  console.warn(
    "webgpu pipeline-check test skipped: no WebGPU adapter (apt-get install -y mesa-vulkan-drivers)",
  );
}

/** `x · 3` as an elementwise program; `broken` names a local `patch`, a reserved word in WGSL. */
const triple = (shape: number[], broken: boolean) =>
  new ElementwiseProgram(
    broken ? "testTripleBroken" : "testTriple",
    ["x"],
    "",
    shape,
    broken ? "let patch = x[index]; let out = patch * 3.0;" : "let out = x[index] * 3.0;",
  );

Deno.test({
  name: "webgpu: a read after a program the device rejected throws naming it, not a stale buffer",
  ignore: noAdapter,
  fn: async () => {
    await initBackend("webgpu");
    const backend = asSelectivityWebGpu(tf.backend(), "pipeline_checks_test");
    const x = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8]);
    // A valid program reads back its result, and the check costs nothing afterwards.
    const good = runProgram(backend, triple([8], false), [x]);
    const goodValues = await tf.engine().makeTensorFromTensorInfo(good).data();
    assert(goodValues[7] === 24, `the valid program computes x·3: ${Array.from(goodValues)}`);
    tf.dispose(tf.engine().makeTensorFromTensorInfo(good));
    // A training step whose terms come from the rejected program: the trainer's slots refuse to read them.
    const once: TrainOnce = (images) =>
      tf.tidy(() => {
        const terms = tf.reshape(tf.slice(images, [0, 0, 0, 0], [1, 1, 1, 4]), [4]);
        return tf.engine().makeTensorFromTensorInfo(runProgram(backend, triple([4], true), [terms]));
      });
    const stepper = new GraphStepper(backend.internals.device, 2, once);
    const batch = {
      x: new Float32Array(2 * 4),
      labels: new Int32Array(2),
      shape: [2, 1, 1, 4] as [number, number, number, number],
    };
    let stepError: unknown = null;
    try {
      await stepper.step(batch, 0.1, 0);
      await stepper.drain();
    } catch (e) {
      stepError = e;
    }
    stepper.dispose();
    assert(stepError instanceof RejectedShaderError, `the trainer's read refuses, got ${stepError}`);
    // Its freed output buffer is what the rejected program's output reuses.
    const bad = tf.engine().makeTensorFromTensorInfo(runProgram(backend, triple([8], true), [x]));
    let thrown: unknown = null;
    try {
      await bad.data();
    } catch (e) {
      thrown = e;
    }
    assert(thrown instanceof RejectedShaderError, `a RejectedShaderError, got ${thrown}`);
    const message = (thrown as Error).message;
    assert(message.includes("testTripleBroken"), `names the program's shader key: ${message}`);
    assert(
      /stale/.test(message) && /WEBGPU_PRINT_SHADER/.test(message),
      `says why and what to do: ${message}`,
    );
    // Every later read still refuses: the rejected pipeline stays in tfjs's cache.
    let again = false;
    await backend.assertProgramsValid().catch((e) => again = e instanceof RejectedShaderError);
    assert(again, "the rejection is kept for later reads");
    tf.dispose([x, bad]);
  },
});
