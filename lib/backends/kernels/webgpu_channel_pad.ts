/**
 * Channel counts padded to a multiple of 4 with zeros, and cropped back, on webgpu: so that a first layer of 1
 * or 3 input channels (the cnn's, ResNet20's stem) runs on the direct programs (webgpu_conv_direct.ts,
 * webgpu_filter_grad_direct.ts), which read channels as `vec4`s, instead of the GEMM programs. The padded
 * channels add `0 · w` terms after the real ones of each tap, which leave every sum as it was.
 *
 * @example
 * ```ts
 * const x4 = padAxisTo4(backend, x, 3); // [N, H, W, 1] → [N, H, W, 4]
 * const dw = cropAxis(backend, dw4, 2, 1); // [3, 3, 4, 16] → [3, 3, 1, 16]
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { ElementwiseProgram, runProgram } from "../webgpu/program.ts";
import { nhwcConvInfo } from "./conv_info.ts";

/**
 * The tfjs flag that lets the direct programs take 1 or 3 channels padded to 4 (default true). Benchmarks set it
 * false to time the GEMM programs instead (`--env OUR_WEBGPU_PAD_CHANNELS=false` in bench/gpu/tfjs_webgpu.ts).
 */
export const PAD_CHANNELS_FLAG = "OUR_WEBGPU_PAD_CHANNELS";
tf.env().registerFlag(PAD_CHANNELS_FLAG, () => true);

/** Whether a convolution of `channels` input channels runs on channels padded to 4 ({@link PAD_CHANNELS_FLAG}). */
export const padsChannels = (channels: number) => channels % 4 !== 0 && tf.env().getBool(PAD_CHANNELS_FLAG);

/** `n` rounded up to a multiple of 4. */
const roundUpTo4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * The convolution `c` of an input of shape `xShape` as the direct programs see it once the input channels are
 * padded to a multiple of 4, and that padded filter's shape [kh, kw, Ci4, Co].
 *
 * @example
 * const { c4, filterShape4 } = paddedConv(x.shape, c, attrs); // cnn's first layer: Ci 1 → 4, [3, 3, 4, 16]
 */
export function paddedConv(
  xShape: number[],
  c: tf.backend_util.Conv2DInfo,
  attrs: tf.NamedAttrMap,
): { c4: tf.backend_util.Conv2DInfo; filterShape4: number[] } {
  const ci4 = roundUpTo4(c.inChannels);
  const filterShape4 = [c.filterHeight, c.filterWidth, ci4, c.outChannels];
  return { c4: nhwcConvInfo([...xShape.slice(0, 3), ci4], filterShape4, attrs), filterShape4 };
}

/** The elements of `t` with axis `axis` resized to `size` (zeros where it grows). */
function resizeAxis(backend: tf.KernelBackend, t: tf.TensorInfo, axis: number, size: number): tf.TensorInfo {
  const from = t.shape[axis];
  const inner = tf.util.sizeFromShape(t.shape.slice(axis + 1));
  const shape = t.shape.map((d, i) => i === axis ? size : d);
  const program = new ElementwiseProgram(
    `ourResizeAxis_${from}to${size}_${inner}`,
    ["x"],
    "",
    shape,
    `let inner = index % ${inner};
     let rest = index / ${inner};
     let ch = rest % ${size};
     var out = 0.0;
     if (ch < ${from}) {
       out = x[((rest / ${size}) * ${from} + ch) * ${inner} + inner];
     }`,
  );
  return runProgram(backend, program, [t]);
}

/** `t` with axis `axis` padded with zeros to a multiple of 4 (a new tensor; `t` itself when it already is one). */
export function padAxisTo4(backend: tf.KernelBackend, t: tf.TensorInfo, axis: number): tf.TensorInfo {
  const size = roundUpTo4(t.shape[axis]);
  return size === t.shape[axis] ? t : resizeAxis(backend, t, axis, size);
}

/** The first `size` entries of axis `axis` of `t`, as a new tensor. */
export function cropAxis(
  backend: tf.KernelBackend,
  t: tf.TensorInfo,
  axis: number,
  size: number,
): tf.TensorInfo {
  return resizeAxis(backend, t, axis, size);
}
