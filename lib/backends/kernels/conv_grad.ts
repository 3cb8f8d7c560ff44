/**
 * Convolution gradients composed from the backend's forward kernels (NHWC, dilation 1).
 *
 * - `tconv` filter gradient: dW is a forward convolution of transposed tensors, the forward stride becoming a
 *   dilation. The heavy work lands in the backend's (on wasm: XNNPACK, multi-threaded) `Conv2D`.
 * - `im2col` filter gradient: one strided slice per filter tap, then a single matmul. Faster on webgpu.
 * - `xconv` input gradient: dx is a stride-1 convolution of zero-upsampled dy with the flipped filter.
 *   Upsampling uses rank-4 `PadV2` only, since webgpu's `PadV2` is wrong for rank 5 and 6.
 *
 * Each factory takes the backend name and returns a kernel function for {@link replaceKernel}.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type KernelFn, scratch, stockFallback } from "./kernel_registry.ts";
import { isNhwc, nhwcConvInfo as convInfo } from "./conv_info.ts";

/** `Conv2DBackpropFilter` as a forward conv of x^T [Ci,H,W,N] with dy^T [Ho,Wo,N,Co] as the filter. */
export function filterGradTconv(backendName: string): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    if (!isNhwc(attrs)) {
      return stockFallback("Conv2DBackpropFilter", backendName, "only NHWC is composed")(args);
    }
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const c = convInfo(x.shape, attrs.filterShape as number[], attrs);
    const { batchSize: N, inHeight: H, inWidth: W, inChannels: Ci } = c;
    const {
      strideHeight: sh,
      strideWidth: sw,
      filterHeight: kh,
      filterWidth: kw,
      outHeight: Ho,
      outWidth: Wo,
    } = c;
    const { top, left } = c.padInfo;
    // Rows/columns of the padded input the forward conv actually reads; trailing leftovers are cropped.
    const needH = kh + sh * (Ho - 1), needW = kw + sw * (Wo - 1);
    const useH = Math.min(H, needH - top), useW = Math.min(W, needW - left);
    const s = scratch(backend, backendName);
    let xT = s.run("Transpose", { x }, { perm: [3, 1, 2, 0] });
    if (useH !== H || useW !== W) {
      xT = s.run("Slice", { x: xT }, { begin: [0, 0, 0, 0], size: [Ci, useH, useW, N] });
    }
    const dyT = s.run("Transpose", { x: dy }, { perm: [1, 2, 0, 3] });
    const r = s.run("Conv2D", { x: xT, filter: dyT }, {
      strides: [1, 1],
      dilations: [sh, sw],
      pad: [[0, 0], [top, needH - top - useH], [left, needW - left - useW], [0, 0]],
      dataFormat: "NHWC",
    }); // [Ci,kh,kw,Co]
    const out = s.run("Transpose", { x: r }, { perm: [1, 2, 0, 3] }, true);
    s.release();
    return out;
  };
}

/** `Conv2DBackpropFilter` as patches [kh·kw·Ci, N·Ho·Wo] times dy [N·Ho·Wo, Co]. */
export function filterGradIm2col(backendName: string): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    if (!isNhwc(attrs)) {
      return stockFallback("Conv2DBackpropFilter", backendName, "only NHWC is composed")(args);
    }
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const filterShape = attrs.filterShape as number[];
    const c = convInfo(x.shape, filterShape, attrs);
    const { batchSize: N, inChannels: Ci, outChannels: Co, strideHeight: sh, strideWidth: sw } = c;
    const { filterHeight: kh, filterWidth: kw, outHeight: Ho, outWidth: Wo } = c;
    const { top, bottom, left, right } = c.padInfo;
    const s = scratch(backend, backendName);
    const xp = top || bottom || left || right
      ? s.run("PadV2", { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 })
      : x;
    const K = N * Ho * Wo;
    const taps: tf.TensorInfo[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const tap = s.run("StridedSlice", { x: xp }, {
          begin: [0, i, j, 0],
          end: [N, i + sh * (Ho - 1) + 1, j + sw * (Wo - 1) + 1, Ci],
          strides: [1, sh, sw, 1],
          beginMask: 0,
          endMask: 0,
          ellipsisMask: 0,
          newAxisMask: 0,
          shrinkAxisMask: 0,
        });
        taps.push(s.run("Reshape", { x: tap }, { shape: [1, K, Ci] }));
      }
    }
    const stacked = taps.length === 1 ? taps[0] : s.run("Concat", taps, { axis: 0 }); // [kh·kw, K, Ci]
    const cols = s.run("Transpose", { x: stacked }, { perm: [0, 2, 1] }); // [kh·kw, Ci, K]
    const a = s.run("Reshape", { x: cols }, { shape: [1, kh * kw * Ci, K] });
    const b = s.run("Reshape", { x: dy }, { shape: [1, K, Co] });
    const m = s.run("BatchMatMul", { a, b }, { transposeA: false, transposeB: false });
    const out = s.run("Reshape", { x: m }, { shape: filterShape }, true);
    s.release();
    return out;
  };
}

/** `Conv2DBackpropInput` as a stride-1 conv of zero-upsampled dy with the flipped, in/out-swapped filter. */
export function inputGradXconv(backendName: string): KernelFn {
  return (args) => {
    const { inputs, attrs = {}, backend } = args;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    if (!isNhwc(attrs)) {
      return stockFallback("Conv2DBackpropInput", backendName, "only NHWC is composed")(args);
    }
    const inputShape = attrs.inputShape as number[];
    const c = convInfo(inputShape, filter.shape, attrs);
    const { batchSize: N, inHeight: H, inWidth: W, outChannels: Co, strideHeight: sh, strideWidth: sw } = c;
    const { filterHeight: kh, filterWidth: kw, outHeight: Ho, outWidth: Wo } = c;
    const padTop = kh - 1 - c.padInfo.top, padLeft = kw - 1 - c.padInfo.left;
    if (padTop < 0 || padLeft < 0) {
      return stockFallback(
        "Conv2DBackpropInput",
        backendName,
        "padding larger than kernel-1 is not composed",
      )(
        args,
      );
    }
    const s = scratch(backend, backendName);
    let up = dy;
    if (sw > 1) { // [N·Ho, Wo, 1, Co] -> [N·Ho, Wo, sw, Co]: sw-1 zero columns after each column
      const r = s.run("Reshape", { x: up }, { shape: [N * Ho, Wo, 1, Co] });
      up = s.run("PadV2", { x: r }, { paddings: [[0, 0], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
    }
    if (sh > 1) { // [N, Ho, 1, Wo·sw·Co] -> [N, Ho, sh, Wo·sw·Co]: sh-1 zero rows after each row
      const r = s.run("Reshape", { x: up }, { shape: [N, Ho, 1, Wo * sw * Co] });
      up = s.run("PadV2", { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0]], constantValue: 0 });
    }
    const Hu = Ho * sh, Wu = Wo * sw;
    if (up !== dy) up = s.run("Reshape", { x: up }, { shape: [N, Hu, Wu, Co] });
    // Trailing pad so the output is H×W; a negative amount means trailing zero rows/columns are not needed.
    const padBottom = H + kh - 1 - Hu - padTop, padRight = W + kw - 1 - Wu - padLeft;
    if (padBottom < 0 || padRight < 0) {
      const size = [N, Hu + Math.min(padBottom, 0), Wu + Math.min(padRight, 0), Co];
      up = s.run("Slice", { x: up }, { begin: [0, 0, 0, 0], size });
    }
    const flipped = s.run("Reverse", { x: filter }, { dims: [0, 1] });
    const swapped = s.run("Transpose", { x: flipped }, { perm: [0, 1, 3, 2] }); // [kh,kw,Co,Ci]
    const out = s.run("Conv2D", { x: up, filter: swapped }, {
      strides: [1, 1],
      dilations: [1, 1],
      pad: [[0, 0], [padTop, Math.max(padBottom, 0)], [padLeft, Math.max(padRight, 0)], [0, 0]],
      dataFormat: "NHWC",
    }, true);
    s.release();
    return out;
  };
}
