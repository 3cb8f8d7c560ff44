/**
 * Whole programs: WGSL we write whole, bindings included, for what tfjs's program interface cannot say — one
 * dispatch that writes several buffers, updating tensors in place (the fused SGD step, the moving averages).
 *
 * A whole program runs through the backend's own recording path (`recordAndSubmit`), so the dispatch cache,
 * step-graph capture and `tf.profile`'s timestamps see it as any other dispatch. That path binds
 * [output, ...inputs, uniforms] and fills the uniforms in tfjs's layout: NaN, ∞, the shape and strides of each
 * input and then of the output, then the program's own values. Every tensor is bound as a flat array, so each
 * shape and each strides field is one i32; {@link wholeProgramBindings} declares exactly that, with the
 * written tensors first (the first of them is the output binding).
 *
 * In-place updates are only safe on data that no other tensor shares: {@link runWholeProgram} refuses a
 * written tensor whose data has another owner ({@link SelectivityWebGpuBackend.isSoleOwner}); give it its own
 * copy first ({@link makeSoleOwners}).
 *
 * @example
 * ```ts
 * const program: WholeProgram = {
 *   key: "ourAxpyInPlace",
 *   dispatch: [ceilDiv(n, 64), 1, 1],
 *   code: () => `${wholeProgramBindings(["y"], ["x"], "a : f32, ")}
 *     @compute @workgroup_size(64)
 *     fn main(@builtin(global_invocation_id) id : vec3<u32>) {
 *       let i = i32(id.x);
 *       if (i < uniforms.yShape) { y[i] = y[i] + uniforms.a * x[i]; }
 *     }`,
 * };
 * runWholeProgram(tf.backend(), program, { written: [y], read: [x], uniforms: [{ type: "float32", data: [2] }] });
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { asSelectivityWebGpu } from "./backend.ts";
import type { TensorRef, UniformField } from "./internals.ts";
import { ElementwiseProgram, runProgram } from "./program.ts";

/** A program whose WGSL is written whole: see the module doc. */
export interface WholeProgram {
  /** Names the pipeline: the same key must always mean the same `code()`. */
  key: string;
  /** Workgroups in x, y, z (each at most 65,535). */
  dispatch: [number, number, number];
  /** The whole WGSL, starting with {@link wholeProgramBindings}; its entry point is `main`. */
  code(): string;
}

/**
 * The declarations a whole program starts with: the `Uniforms` struct in tfjs's layout for flat bindings
 * (`NAN`, `INFINITY`, then `<name>Shape` — the element count — and `<name>Strides` of every tensor, inputs before
 * the output, then `own`, the program's own fields as `"name : f32, "`), and the storage bindings: `written`
 * read-write, then `read` read-only, all `array<f32>`.
 *
 * @example
 * wholeProgramBindings(["w", "v"], ["g"], "momentum : f32, ");
 */
export function wholeProgramBindings(
  written: readonly string[],
  read: readonly string[],
  own: string,
): string {
  const inputs = [...written.slice(1), ...read];
  const shapes = [...inputs, written[0]].map((n) => `${n}Shape : i32, ${n}Strides : i32, `).join("");
  const bindings = [
    ...written.map((n, i) => `@group(0) @binding(${i}) var<storage, read_write> ${n} : array<f32>;`),
    ...read.map((n, i) => `@group(0) @binding(${written.length + i}) var<storage, read> ${n} : array<f32>;`),
  ];
  return `struct Uniforms { NAN : f32, INFINITY : f32, ${shapes}${own} };
${bindings.join("\n")}
@group(0) @binding(${written.length + read.length}) var<uniform> uniforms : Uniforms;
`;
}

/**
 * Records one dispatch of `program` on our webgpu `backend`: `written` are updated in place (each must be the
 * sole owner of its data), `read` only read; `uniforms` are the program's own values, in the order its
 * `Uniforms` declares them. All tensors must be float32.
 */
export function runWholeProgram(
  backend: tf.KernelBackend,
  program: WholeProgram,
  { written, read, uniforms = [] }: {
    written: tf.TensorInfo[];
    read: tf.TensorInfo[];
    uniforms?: UniformField[];
  },
): void {
  const ours = asSelectivityWebGpu(backend, program.key);
  const b = ours.internals;
  if (written.length === 0) throw new Error(`${program.key}: a whole program writes at least one tensor`);
  for (const t of [...written, ...read]) {
    if (t.dtype !== "float32") throw new Error(`${program.key}: binds float32 tensors only, got ${t.dtype}`);
  }
  written.forEach((t, i) => {
    if (!ours.isSoleOwner(t.dataId)) {
      throw new Error(
        `${program.key}: written tensor ${i} shares its data with another tensor, so updating it in place ` +
          "would change that one too; give it its own copy first (makeSoleOwners in whole_program.ts)",
      );
    }
  });
  const all = [...written, ...read];
  for (const t of all) b.uploadToGPU(t.dataId);
  const flat = (t: tf.TensorInfo): TensorRef => ({
    dataId: t.dataId,
    shape: [tf.util.sizeFromShape(t.shape)],
  });
  const output = flat(written[0]);
  b.recordAndSubmit(
    {
      pipeline: ours.wholeProgramPipeline(program.key, () => program.code()),
      dispatch: program.dispatch,
      outputShape: output.shape,
      inputsWritten: written.length - 1,
    },
    output,
    all.slice(1).map(flat),
    uniforms,
  );
  // A value tfjs cached on the CPU by an earlier read is stale now.
  for (const t of written) b.tensorMap.get(t.dataId)!.values = null;
}

/**
 * A new float32 tensor of `shape` on our webgpu `backend`, for a whole program to write as an output (its sole
 * owner until the kernel returns it).
 *
 * @example
 * const out = newOutput(backend, [channels]);
 * runWholeProgram(backend, program, { written: [out], read: [x] });
 * return out;
 */
export function newOutput(backend: tf.KernelBackend, shape: number[]): tf.TensorInfo {
  return asSelectivityWebGpu(backend, "newOutput").makeTensorInfo(shape, "float32");
}

/**
 * Gives each of `variables` (on our webgpu `backend`, by default the active one) whose data another tensor shares
 * a copy of its own (`assign`; one dispatch each, the same bits), so that a whole program may update it in place. Variables that own their data are left as
 * they are (the usual case: nothing runs).
 *
 * @example
 * makeSoleOwners([movingMean, movingVariance]);
 * runWholeProgram(backend, program, { written: [movingMean, movingVariance], read: [stats] });
 */
export function makeSoleOwners(
  variables: readonly tf.Variable[],
  backend: tf.KernelBackend = tf.backend(),
): void {
  const ours = asSelectivityWebGpu(backend, "makeSoleOwners");
  for (const v of variables) {
    if (ours.isSoleOwner(v.dataId)) continue;
    const copy = soleCopy(v, ours);
    v.assign(copy);
    copy.dispose();
  }
}

/** A copy of `x` in a buffer of its own on `backend` (one dispatch; the same bits, −0 and NaN included). */
function soleCopy(x: tf.Tensor, backend: tf.KernelBackend): tf.Tensor {
  if (x.dtype !== "float32") throw new Error(`soleCopy: float32 tensors only, got ${x.dtype}`);
  const program = new ElementwiseProgram("ourCopy", ["x"], "", x.shape, "let out = x[index];");
  return tf.engine().makeTensorFromTensorInfo(runProgram(backend, program, [x]), backend);
}
