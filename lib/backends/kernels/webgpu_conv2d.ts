/**
 * The webgpu convolutions that produce an image, on our implicit-GEMM program (webgpu_conv_gemm.ts): `Conv2D`,
 * `FusedConv2D` (what tfjs-layers' conv2d calls, with or without bias; linear or ReLU activation) and
 * `Conv2DBackpropInput`; with `direct`, the forward ones at stride 1 on the direct program
 * (webgpu_conv_direct.ts) where it fits (a first layer's 1 or 3 input channels padded to 4, webgpu_channel_pad.ts),
 * the same bits. {@link inputGradDirectWebGpu} runs the input gradient at
 * stride 1 on the direct program. What our programs do not cover (NCHW, dilation, other activations, PReLU
 * weights; for the direct input gradient, any stride but 1) goes to the stock kernel.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type KernelFn, stockFallback } from "./kernel_registry.ts";
import { runProgram } from "../webgpu/program.ts";
import { ConvGemmProgram } from "./webgpu_conv_gemm.ts";
import {
  convDirectFits,
  ConvDirectProgram,
  type FilterLayout,
  FilterTransposeProgram,
} from "./webgpu_conv_direct.ts";
import { isNhwc, nhwcConvInfo } from "./conv_info.ts";
import { padAxisTo4, paddedConv, padsChannels } from "./webgpu_channel_pad.ts";

const isOne = (d: unknown) => d === undefined || d === 1 || (Array.isArray(d) && d.every((v) => v === 1));

/** The forward convolution of `x` with `filter` and the epilogue, as [N, Ho, Wo, Co]. */
function forward(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  attrs: tf.NamedAttrMap,
  direct: boolean,
  bias?: tf.TensorInfo,
  relu = false,
): tf.TensorInfo {
  const c = nhwcConvInfo(x.shape, filter.shape, attrs);
  const inputs = bias ? [x, filter, bias] : [x, filter];
  const epilogue = { bias: bias !== undefined, relu };
  if (direct && convDirectFits("forward", c)) {
    const program = new ConvDirectProgram("forward", c, epilogue);
    return runProgram(backend, program, inputs, program.uniformValues());
  }
  if (direct && padsChannels(c.inChannels)) {
    // 1 or 3 input channels (a first layer): the direct program on channels padded with zeros to 4, the same sums.
    const { c4 } = paddedConv(x.shape, c, attrs);
    if (convDirectFits("forward", c4)) {
      const padded = [padAxisTo4(backend, x, 3), padAxisTo4(backend, filter, 2)];
      const program = new ConvDirectProgram("forward", c4, epilogue);
      const out = runProgram(backend, program, bias ? [...padded, bias] : padded, program.uniformValues());
      padded.forEach((t, i) => t !== inputs[i] && backend.disposeData(t.dataId));
      return out;
    }
  }
  const program = new ConvGemmProgram("forward", c, epilogue);
  const out = runProgram(backend, program, inputs, program.uniformValues());
  // [rows, Co] is [N, Ho, Wo, Co] in memory: a relabelling, as the stock Reshape does.
  return { ...out, shape: [c.batchSize, c.outHeight, c.outWidth, c.outChannels] };
}

/**
 * The webgpu `Conv2D` kernel: NHWC, no dilation (anything else goes to the stock kernel); `direct`: stride 1 on
 * the direct program where it fits.
 *
 * @example
 * replaceKernel("Conv2D", WEBGPU_BACKEND, conv2dGemmWebGpu());
 */
export function conv2dGemmWebGpu(direct = false): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    if (!isNhwc(attrs) || !isOne(attrs.dilations)) {
      return stockFallback("Conv2D", "webgpu", "only NHWC without dilation is ours")(args);
    }
    return forward(backend, x, filter, attrs, direct);
  };
}

/**
 * The webgpu `FusedConv2D` kernel: NHWC, no dilation, optional bias, linear or ReLU activation (anything else
 * goes to the stock kernel); `direct` as for {@link conv2dGemmWebGpu}.
 *
 * @example
 * replaceKernel("FusedConv2D", WEBGPU_BACKEND, fusedConv2dGemmWebGpu());
 */
export function fusedConv2dGemmWebGpu(direct = false): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
    const activation = (attrs.activation ?? "linear") as string;
    if (
      !isNhwc(attrs) || !isOne(attrs.dilations) || preluActivationWeights ||
      (activation !== "linear" && activation !== "relu")
    ) {
      return stockFallback(
        "FusedConv2D",
        "webgpu",
        "only NHWC without dilation, with linear or relu activation, is ours",
      )(
        args,
      );
    }
    return forward(backend, x!, filter!, attrs, direct, bias ?? undefined, activation === "relu");
  };
}

/**
 * The webgpu `Conv2DBackpropInput` kernel (dx of a convolution): NHWC (NCHW goes to the stock kernel).
 *
 * @example
 * replaceKernel("Conv2DBackpropInput", WEBGPU_BACKEND, inputGradGemmWebGpu());
 */
export function inputGradGemmWebGpu(): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    if (!isNhwc(attrs)) return stockFallback("Conv2DBackpropInput", "webgpu", "only NHWC is ours")(args);
    const c = nhwcConvInfo(attrs.inputShape as number[], filter.shape, attrs);
    const program = new ConvGemmProgram("inputGrad", c);
    const out = runProgram(backend, program, [dy, filter], program.uniformValues());
    return { ...out, shape: [c.batchSize, c.inHeight, c.inWidth, c.inChannels] };
  };
}

/**
 * The webgpu `Conv2DBackpropInput` kernel on the direct program (webgpu_conv_direct.ts) where it fits (NHWC,
 * stride 1, channels in fours); the stock kernel, whose bits it has, elsewhere. With `layout` `hwoi` it first
 * transposes the filter (one more dispatch) so that the program's filter reads are adjacent; the same bits.
 *
 * @example
 * replaceKernel("Conv2DBackpropInput", WEBGPU_BACKEND, inputGradDirectWebGpu("hwoi"));
 */
export function inputGradDirectWebGpu(layout: FilterLayout = "hwio"): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const c = isNhwc(attrs) ? nhwcConvInfo(attrs.inputShape as number[], filter.shape, attrs) : undefined;
    if (!c || !convDirectFits("inputGrad", c)) {
      const why = "only NHWC at stride 1 with channels in fours is direct";
      return stockFallback("Conv2DBackpropInput", "webgpu", why)(args);
    }
    const program = new ConvDirectProgram("inputGrad", c, undefined, layout);
    if (layout === "hwio") return runProgram(backend, program, [dy, filter], program.uniformValues());
    const transposed = runProgram(backend, new FilterTransposeProgram(filter.shape), [filter]);
    const out = runProgram(backend, program, [dy, transposed], program.uniformValues());
    backend.disposeData(transposed.dataId);
    return out;
  };
}
