/**
 * pruneWgsl (lib/backends/webgpu/wgsl_prune.ts): the functions no entry point reaches go, everything else stays;
 * what it cannot follow it leaves alone. On a real WebGPU device (llvmpipe in CI), the backend makes tfjs's
 * modules pruned, the device accepts them, and the ops compute what the cpu backend computes.
 */
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { pruneWgsl } from "../../../../lib/backends/webgpu/wgsl_prune.ts";
import { probeWebGpuAdapter } from "../../../../lib/backends/webgpu/adapter.ts";
import { initBackend } from "../../../../lib/backends/select.ts";

/** The names of the top-level functions left in `code`. */
const functions = (code: string) => [...code.matchAll(/\bfn\s+(\w+)/g)].map((m) => m[1]);

const shader = `
  struct Uniforms { size : i32 };
  @group(0) @binding(0) var<uniform> uniforms : Uniforms;
  // A helper nobody calls.
  fn unused(a : i32) -> i32 { return a + 1; }
  fn leaf(a : f32) -> f32 { return a * 2.0; }
  fn middle(a : f32) -> f32 { if (a > 0.0) { return leaf(a); } return leafy(a); }
  fn leafy(a : f32) -> f32 { return a; }
  fn getX() -> f32 { return 1.0; }
  fn getXCoords() -> f32 { return 2.0; }
  /* a block /* nested */ comment naming unused() */
  @compute @workgroup_size(64, 1, 1)
  fn _start(@builtin(global_invocation_id) id : vec3<u32>) {
    let v = middle(getXCoords());
  }
`;

Deno.test("pruneWgsl keeps the entry point and what it calls, transitively, and drops the rest", () => {
  const out = pruneWgsl(shader);
  assert.deepEqual(functions(out), ["leaf", "middle", "leafy", "getXCoords", "_start"]);
  // A name is matched whole: getXCoords does not keep getX.
  assert(!/\bfn getX\(/.test(out));
  // Comments go (the block comment named unused()); non-function items and attributes stay.
  assert(!out.includes("//") && !out.includes("/*"), out);
  assert(out.includes("struct Uniforms { size : i32 };"));
  assert(out.includes("@group(0) @binding(0) var<uniform> uniforms : Uniforms;"));
  assert(out.includes("@compute @workgroup_size(64, 1, 1)\n  fn _start("));
  // Pruning what is pruned changes nothing.
  assert.deepEqual(pruneWgsl(out), out);
});

Deno.test("pruneWgsl keeps every entry point and functions named outside any function", () => {
  const code = `
    fn a() -> f32 { return 1.0; }
    fn b() -> f32 { return 2.0; }
    fn c() -> f32 { return 3.0; }
    const k = 1;
    @compute @workgroup_size(1) fn first() { let x = a(); }
    @vertex fn second() -> @builtin(position) vec4<f32> { return vec4<f32>(b()); }`;
  assert.deepEqual(functions(pruneWgsl(code)), ["a", "b", "first", "second"]);
});

Deno.test("pruneWgsl returns what it cannot follow unchanged", () => {
  const cases = [
    "fn f() { return; \n@compute @workgroup_size(1) fn main() { f(); }", // a brace never closed
    "fn f() { }\nfn g() { }", // no entry point
    "/* a comment never closed\n@compute @workgroup_size(1) fn main() { }",
    "fn f() { } }\n@compute @workgroup_size(1) fn main() { }", // one brace too many
  ];
  for (const code of cases) assert.deepEqual(pruneWgsl(code), code);
});

const noAdapter = (await probeWebGpuAdapter()) === null;
if (noAdapter) {
  console.warn(
    "webgpu WGSL-pruning test skipped: no WebGPU adapter (apt-get install -y mesa-vulkan-drivers)",
  );
}

Deno.test({
  name: "webgpu: tfjs's shader modules are made pruned, the device accepts them, and the ops agree with cpu",
  ignore: noAdapter,
  fn: async () => {
    await initBackend("webgpu");
    // Installed after the backend: the backend looks the method up at each call, so this wrapper sees every
    // module as the device gets it.
    const proto = (globalThis as unknown as { GPUDevice: { prototype: GPUDevice } }).GPUDevice.prototype;
    const stock = proto.createShaderModule;
    const made: string[] = [];
    proto.createShaderModule = function (this: GPUDevice, d: GPUShaderModuleDescriptor) {
      made.push(d.code);
      return stock.call(this, d);
    };
    const ops = () => {
      // Shapes no other test uses, so that these programs are compiled here.
      const x = tf.randomUniform([3, 13, 11, 5], -1, 1, "float32", 7) as tf.Tensor4D;
      const w = tf.randomUniform([3, 3, 5, 6], -1, 1, "float32", 8) as tf.Tensor4D;
      const y = tf.relu(tf.conv2d(x, w, 1, "same"));
      return [tf.sum(y, [1, 2]), tf.matMul(tf.reshape(y, [39, 66]), tf.ones([66, 7]))];
    };
    let gpu: Float32Array[];
    try {
      gpu = await Promise.all(tf.tidy(ops).map((t) => t.data() as Promise<Float32Array>));
    } finally {
      proto.createShaderModule = stock;
    }
    assert(made.length > 0, "the ops compiled new shader modules");
    for (const code of made) {
      assert(!/\bfn getIndexFromCoords6D\b/.test(code), "an unused tfjs helper was left in a module");
      assert.deepEqual(pruneWgsl(code), code);
    }
    await tf.setBackend("cpu");
    try {
      const cpu = await Promise.all(tf.tidy(ops).map((t) => t.data() as Promise<Float32Array>));
      cpu.forEach((c, i) =>
        c.forEach((v, j) => assert(Math.abs(v - gpu[i][j]) <= 1e-4 * (1 + Math.abs(v)), `output ${i}[${j}]`))
      );
    } finally {
      await initBackend("webgpu");
    }
  },
});
