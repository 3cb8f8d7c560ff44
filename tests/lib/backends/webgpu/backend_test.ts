import * as tf from "@tensorflow/tfjs-core";
import { assertEqualJson, assertLess } from "../assert.ts";
import { REF, relErr, runOn, seeded } from "../reference.ts";
import { initBackend } from "../../../../lib/backends/select.ts";
import { registerTrainingKernels } from "../../../../lib/backends/kernels/register_kernels.ts";
import { probeWebGpuAdapter, summariseAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import { WEBGPU_BACKEND } from "../../../../lib/backends/webgpu/backend.ts";

const adapter = await probeWebGpuAdapter();
const noAdapter = adapter === null;
if (noAdapter) {
  console.warn(
    "webgpu tests skipped: no WebGPU adapter (apt-get install -y mesa-vulkan-drivers for llvmpipe)",
  );
}

Deno.test("summariseAdapter flags software adapters even when the flag is missing", () => {
  const info = (description: string, isFallbackAdapter?: boolean) =>
    ({
      vendor: "v",
      architecture: "",
      device: "0",
      description,
      isFallbackAdapter,
    }) as unknown as GPUAdapterInfo;
  assertEqualJson(
    summariseAdapter(info("llvmpipe (LLVM 15.0.6, 256 bits)")).isFallbackAdapter,
    true,
    "llvmpipe",
  );
  assertEqualJson(summariseAdapter(info("SwiftShader Device")).isFallbackAdapter, true, "swiftshader");
  assertEqualJson(summariseAdapter(info("NVIDIA H200")).isFallbackAdapter, false, "nvidia");
  assertEqualJson(summariseAdapter(info("NVIDIA H200", true)).isFallbackAdapter, true, "flagged");
});

interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  s: number;
  pad: "same" | "valid";
}
const CASES: ConvCase[] = [
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: 1, pad: "same" },
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: 2, pad: "same" },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 4], s: 2, pad: "valid" },
  { x: [2, 8, 8, 4], f: [1, 1, 4, 6], s: 2, pad: "same" },
  { x: [2, 9, 6, 2], f: [5, 5, 2, 3], s: 1, pad: "same" },
];

function convGrads(c: ConvCase, seed: number): tf.Tensor[] {
  const x = tf.tensor4d(seeded(tf.util.sizeFromShape(c.x), seed), c.x);
  const w = tf.tensor4d(seeded(tf.util.sizeFromShape(c.f), seed + 1), c.f);
  const y = tf.conv2d(x, w, c.s, c.pad);
  const r = tf.tensor(seeded(y.size, seed + 2), y.shape);
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), r))
  )([x, w]);
  tf.dispose([x, w, y, r]);
  return grads;
}

Deno.test({
  name: "webgpu (any adapter, e.g. llvmpipe): composed conv gradients match the stock cpu backend",
  ignore: noAdapter,
  fn: async () => {
    const reference: Float32Array[][] = [];
    for (const [i, c] of CASES.entries()) reference.push(await runOn(REF, () => convGrads(c, 500 + 3 * i)));
    const info = await initBackend("webgpu");
    assertEqualJson(info.adapter?.description, adapter?.description, "adapter recorded");
    for (const filterGrad of ["im2col", "tconv"] as const) {
      registerTrainingKernels("webgpu", { filterGrad });
      for (const [i, c] of CASES.entries()) {
        const [dx, dw] = await runOn(WEBGPU_BACKEND, () => convGrads(c, 500 + 3 * i));
        const what = `${filterGrad} x${c.x.join("x")} f${c.f.join("x")} s${c.s} ${c.pad}`;
        assertLess(relErr(reference[i][0], dx), 1e-5, `dx ${what}`);
        assertLess(relErr(reference[i][1], dw), 1e-5, `dW ${what}`);
      }
    }
  },
});
