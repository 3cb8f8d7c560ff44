/**
 * The parts of tfjs-backend-webgpu 4.22 our custom WGSL programs use, typed structurally (the package does not
 * export its program interface at runtime, and its `WebGPUBackend` type pulls in DOM-only declarations).
 *
 * A program supplies the WGSL body (`getUserCode`, defining `fn main()` or, for a flat dispatch layout,
 * `fn main(index: i32)`); tfjs prepends bindings (`result`, one `array<f32>` per `variableNames` entry),
 * a `uniforms` struct (input/output shapes plus the program's own `uniforms` fields, filled in order from
 * the `uniformData` given to {@link runProgram}) and helpers such as `setOutputAtIndex`. Pipelines are cached
 * by `shaderKey` plus input ranks and dtypes, so shape-dependent values must be uniforms, not WGSL constants.
 */
import * as tf from "@tensorflow/tfjs-core";

/** What `backend.runWebGPUProgram` needs from a program. */
export interface WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  variableNames: string[];
  /** WGSL struct fields appended to the uniforms, e.g. `"splits : i32, "`. */
  uniforms?: string;
  /** Adds `uniforms.size` (the output's element count). */
  size?: boolean;
  getUserCode(): string;
}

/** One program-defined uniform value, in declaration order. */
export interface UniformValue {
  type: "int32" | "float32" | "uint32";
  data: number[];
}

/** The webgpu backend methods we call. */
export interface WebGpuBackendLike extends tf.KernelBackend {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniformData?: UniformValue[],
  ): tf.TensorInfo;
  device: GPUDevice;
}

/**
 * Runs `program` on the webgpu `backend`; `ints` become `int32` uniforms, then `floats` `float32` ones, in the
 * order the program declares (all its `i32` fields before its `f32` fields).
 */
export function runProgram(
  backend: tf.KernelBackend,
  program: WebGpuProgram,
  inputs: tf.TensorInfo[],
  ints: number[] = [],
  floats: number[] = [],
): tf.TensorInfo {
  const b = backend as WebGpuBackendLike;
  if (typeof b.runWebGPUProgram !== "function") {
    throw new Error(`${program.shaderKey}: needs the webgpu backend, got ${backend.constructor.name}`);
  }
  const uniforms: UniformValue[] = [
    ...ints.map((v): UniformValue => ({ type: "int32", data: [v] })),
    ...floats.map((v): UniformValue => ({ type: "float32", data: [v] })),
  ];
  return b.runWebGPUProgram(program, inputs, "float32", uniforms);
}

/** Bytes of workgroup memory every WebGPU adapter offers (the spec's minimum); our programs stay within it. */
export const WORKGROUP_STORAGE_BYTES = 16384;

/** Invocations per workgroup every WebGPU adapter offers (the spec's minimum). */
export const MAX_WORKGROUP_THREADS = 256;

/** `ceil(a / b)` for positive integers. */
export const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/**
 * A flat elementwise program: one invocation per output element, `body` (WGSL statements that may read
 * `index`) must define `out`, which is written at `index`.
 *
 * With `vec4`, every binding (the inputs and the output) is an `array<vec4<f32>>` and an invocation computes 4
 * adjacent elements: `index` counts `vec4`s and `out` is a `vec4<f32>`. Each lane then does what the scalar
 * body does to its element (WGSL's vector arithmetic is per component), in a quarter of the invocations and
 * with 16-byte loads. Every input's and the output's size must be a multiple of 4 ({@link fitsVec4}).
 *
 * @example
 * ```ts
 * const p = new ElementwiseProgram("scale", ["x"], "k : f32, ", x.shape, "let out = x[index] * uniforms.k;");
 * runProgram(backend, p, [x], [], [2]);
 * ```
 */
export class ElementwiseProgram implements WebGpuProgram {
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size = true;
  readonly shaderKey: string;
  variableComponents?: number[];
  outputComponent?: number;

  constructor(
    shaderKey: string,
    readonly variableNames: string[],
    readonly uniforms: string,
    outputShape: number[],
    private readonly body: string,
    vec4 = false,
  ) {
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    const elements = tf.util.sizeFromShape(outputShape);
    if (vec4 && elements % 4 !== 0) {
      throw new Error(`${shaderKey}: vec4 needs a size that is a multiple of 4, got [${outputShape}]`);
    }
    const threads = vec4 ? VEC4_THREADS : ELEMENTWISE_THREADS;
    this.workgroupSize = [threads, 1, 1];
    this.dispatch = [ceilDiv(Math.max(1, vec4 ? elements / 4 : elements), threads), 1, 1];
    this.shaderKey = vec4 ? `${shaderKey}_vec4` : shaderKey;
    if (vec4) {
      this.variableComponents = variableNames.map(() => 4);
      this.outputComponent = 4;
    }
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${this.body}
          setOutputAtIndex(index, out);
        }
      }
    `;
  }
}

/**
 * The tfjs flag that lets elementwise programs run over `vec4`s (default true). Benchmarks set it false to time
 * the scalar programs (`--env OUR_WEBGPU_VEC4=false` in bench/gpu/tfjs_webgpu.ts); the results are the same.
 */
export const VEC4_FLAG = "OUR_WEBGPU_VEC4";
tf.env().registerFlag(VEC4_FLAG, () => true);

/**
 * Whether an {@link ElementwiseProgram} may read these tensors as `vec4`s: every size is a multiple of 4 and
 * {@link VEC4_FLAG} is on.
 *
 * @example
 * fitsVec4(gamma); // a batch-norm layer of 32 channels: true
 */
export function fitsVec4(...tensors: { shape: number[] }[]): boolean {
  return tf.env().getBool(VEC4_FLAG) && tensors.every((t) => tf.util.sizeFromShape(t.shape) % 4 === 0);
}

const ELEMENTWISE_THREADS = 64;
/** Invocations per workgroup of a `vec4` elementwise program. */
const VEC4_THREADS = 256;
