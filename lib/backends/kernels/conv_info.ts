/**
 * The geometry of a channels-last 2-D convolution as our convolution kernels read their attributes (strides,
 * pad, dimRoundingMode; dilation 1): tfjs's `computeConv2DInfo`, called the same way everywhere.
 *
 * @example
 * ```ts
 * const c = nhwcConvInfo([128, 28, 28, 16], [3, 3, 16, 32], { strides: [1, 1], pad: "same" });
 * c.outHeight; // 28
 * ```
 */
import * as tf from "@tensorflow/tfjs-core";

type Shape4 = [number, number, number, number];

/** `computeConv2DInfo` of an NHWC convolution of `xShape` with `filterShape` under a conv kernel's `attrs`. */
export function nhwcConvInfo(
  xShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    attrs.strides as [number, number],
    1,
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
    false,
    "channelsLast",
  );
}

/** Whether a conv kernel's `attrs` say channels-last (the default). */
export const isNhwc = (attrs: tf.NamedAttrMap): boolean => (attrs.dataFormat ?? "NHWC") === "NHWC";
