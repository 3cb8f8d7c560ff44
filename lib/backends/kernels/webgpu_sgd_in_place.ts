/**
 * Momentum SGD for many variables at once, in place, on our webgpu backend: the update of fused_sgd.ts
 * (v' = μ·v + (g + wd·w);  w' = w − lr·v', the same WGSL expressions, so the same bits) with both v' and w'
 * written where v and w are, for up to {@link sgdGroupSize} variables per dispatch.
 *
 * Against the two kernels a variable of fused_sgd.ts this saves, per training step, about 2·(variables) −
 * (variables / group size) dispatches (ResNet20: 118 → 4 at a group size of 16), each of which on a GPU costs a
 * barrier more than its arithmetic, and in a step graph the two buffer copies a variable that `assign` moved
 * (step_graph.ts): the variables keep their buffers.
 *
 * The kernel {@link SGD_IN_PLACE} takes inputs `w0, v0, g0, w1, v1, g1, …` (and `lr` when the rate is a tensor)
 * and attributes `count`, `momentum`, `weightDecay` (and `lr` when it is a number); it returns no tensor. Each
 * `w` and `v` must be the sole owner of its data (see whole_program.ts): {@link momentumSgdInPlace} sees to it.
 */
import * as tf from "@tensorflow/tfjs-core";
import { WEBGPU_BACKEND } from "../webgpu/name.ts";
import { asSelectivityWebGpu } from "../webgpu/backend.ts";
import { ceilDiv } from "../webgpu/program.ts";
import {
  makeSoleOwners,
  runWholeProgram,
  type WholeProgram,
  wholeProgramBindings,
} from "../webgpu/whole_program.ts";
import type { MomentumSgdHyper } from "./fused_sgd.ts";

/** Kernel name (our own). */
export const SGD_IN_PLACE = "OurSgdInPlace";

/** Most variables one dispatch updates (each binds 3 buffers). */
export const MAX_SGD_GROUP = 16;
const THREADS = 64;
const MAX_WORKGROUPS = 65535;

/**
 * Variables one dispatch updates on a device with `maxStorageBuffers` storage bindings per shader stage: 3 a
 * variable and one for a rate tensor, at most {@link MAX_SGD_GROUP}.
 *
 * @example
 * sgdGroupSize(8); // 2 (the WebGPU default limit)
 */
export function sgdGroupSize(maxStorageBuffers: number): number {
  return Math.max(1, Math.min(MAX_SGD_GROUP, Math.floor((maxStorageBuffers - 1) / 3)));
}

/** The program updating `count` variables; `lrTensor`: the rate is read from a buffer, else a uniform. */
function groupProgram(count: number, lrTensor: boolean, longest: number): WholeProgram {
  const written = Array.from({ length: count }, (_, j) => [`w${j}`, `v${j}`]).flat();
  const read = [...Array.from({ length: count }, (_, j) => `g${j}`), ...(lrTensor ? ["lr"] : [])];
  const rate = lrTensor ? "lr[0]" : "uniforms.lr";
  const cases = Array.from({ length: count }, (_, j) => `
      case ${j}u: {
        for (var i = first; i < uniforms.w${j}Shape; i = i + stride) {
          let v = uniforms.momentum * v${j}[i] + (g${j}[i] + uniforms.weightDecay * w${j}[i]);
          v${j}[i] = v;
          w${j}[i] = w${j}[i] - ${rate} * v;
        }
      }`).join("");
  return {
    key: `ourSgdInPlace_${count}_${lrTensor ? "lrTensor" : "lrUniform"}`,
    dispatch: [Math.min(MAX_WORKGROUPS, ceilDiv(Math.max(1, longest), THREADS)), count, 1],
    code: () =>
      `${
        wholeProgramBindings(
          written,
          read,
          `momentum : f32, weightDecay : f32, ${lrTensor ? "" : "lr : f32, "}`,
        )
      }
      @compute @workgroup_size(${THREADS}, 1, 1)
      fn main(@builtin(global_invocation_id) id : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
        let first = i32(id.x);
        let stride = i32(groups.x) * ${THREADS};
        switch (id.y) {${cases}
          default: {}
        }
      }`,
  };
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

function sgdInPlaceKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const count = attrs!.count as number;
  const lr = inputs.lr as tf.TensorInfo | undefined;
  const group = sgdGroupSize(
    asSelectivityWebGpu(backend, SGD_IN_PLACE).device.limits.maxStorageBuffersPerShaderStage,
  );
  const own = [
    { type: "float32" as const, data: [attrs!.momentum as number] },
    { type: "float32" as const, data: [attrs!.weightDecay as number] },
    ...(lr ? [] : [{ type: "float32" as const, data: [attrs!.lr as number] }]),
  ];
  for (let start = 0; start < count; start += group) {
    const js = Array.from({ length: Math.min(group, count - start) }, (_, k) => start + k);
    const ws = js.map((j) => inputs[`w${j}`] as tf.TensorInfo);
    const longest = Math.max(...ws.map((w) => tf.util.sizeFromShape(w.shape)));
    runWholeProgram(backend, groupProgram(js.length, lr !== undefined, longest), {
      written: js.flatMap((j) => [inputs[`w${j}`], inputs[`v${j}`]] as tf.TensorInfo[]),
      read: [...js.map((j) => inputs[`g${j}`] as tf.TensorInfo), ...(lr ? [lr] : [])],
      uniforms: own,
    });
  }
  return [];
}

/** The kernel, for our webgpu backend (registered by register_kernels.ts, group `inPlace`). */
export const SGD_IN_PLACE_KERNELS: readonly tf.KernelConfig[] = [{
  kernelName: SGD_IN_PLACE,
  backendName: WEBGPU_BACKEND,
  kernelFunc: sgdInPlaceKernel as unknown as tf.KernelFunc,
}];

/** Whether {@link SGD_IN_PLACE} is registered for the active backend. */
export function hasSgdInPlace(): boolean {
  return tf.getKernel(SGD_IN_PLACE, tf.getBackend()) !== undefined;
}

/**
 * Updates every `ws[i]` and its velocity `vs[i]` in place from gradient `gs[i]`, with {@link SGD_IN_PLACE}.
 * A variable whose data another tensor shares first gets its own copy (`assign`), so no other tensor changes.
 *
 * @example
 * if (hasSgdInPlace()) momentumSgdInPlace(weights, velocities, grads, { lr: 0.1, momentum: 0.9, weightDecay: 0 });
 */
export function momentumSgdInPlace(
  ws: readonly tf.Variable[],
  vs: readonly tf.Variable[],
  gs: readonly tf.Tensor[],
  { lr, momentum, weightDecay }: MomentumSgdHyper,
): void {
  ws.forEach((w, j) => {
    for (const [what, t] of [["velocity", vs[j]], ["gradient", gs[j]]] as const) {
      if (!tf.util.arraysEqual(t.shape, w.shape)) {
        throw new Error(
          `momentumSgdInPlace: ${what} of '${w.name}' has shape [${t.shape}], expected [${w.shape}]`,
        );
      }
    }
  });
  makeSoleOwners([...ws, ...vs]);
  const inputs: tf.NamedTensorMap = {};
  ws.forEach((w, j) => Object.assign(inputs, { [`w${j}`]: w, [`v${j}`]: vs[j], [`g${j}`]: gs[j] }));
  const attrs: tf.NamedAttrMap = { count: ws.length, momentum, weightDecay };
  if (typeof lr === "number") attrs.lr = lr;
  else inputs.lr = lr;
  tf.engine().runKernel(SGD_IN_PLACE, inputs, attrs);
}
