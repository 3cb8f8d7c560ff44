import assert from "node:assert/strict";
import { registerTrainingKernels } from "../../../../lib/backends/kernels/register_kernels.ts";

Deno.test("a kernel choice of another backend fails naming the choice, its backend and the one asked for", () => {
  const cases: [Parameters<typeof registerTrainingKernels>[0], object, RegExp][] = [
    ["webgpu", { inputGrad: "simd" }, /inputGrad 'simd' runs on the wasm heap: wasm only, not 'webgpu'/],
    ["cpu", { slice: "simd" }, /slice 'simd' runs on the wasm heap: wasm only, not 'cpu'/],
    ["webgpu", { filterGrad: "winograd" }, /filterGrad 'winograd' runs on the wasm heap: wasm only/],
    ["wasm", { conv: "gemm" }, /conv 'gemm' is a WGSL shader: webgpu only, not 'wasm'/],
    ["cpu", { filterGrad: "tiled" }, /filterGrad 'tiled' is a WGSL shader: webgpu only, not 'cpu'/],
  ];
  for (const [backend, choice, message] of cases) {
    assert.throws(
      () => registerTrainingKernels(backend, choice),
      message,
      `${backend} ${JSON.stringify(choice)}`,
    );
  }
});
