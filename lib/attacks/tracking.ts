/**
 * Which bookkeeping an iterative attack uses, as a decision with its reason: {@link ShrinkingTracker} reads the
 * misclassified rows after every iterate and drops them from the batch (saving their compute), which is right
 * where a read is a copy in memory (wasm, cpu, tensorflow); {@link DeviceTracker} keeps the bookkeeping on the
 * device and reads in the background, which is right where a read waits on the GPU (webgpu: at least 10 ms
 * per read under Deno, bench/gpu/eval_reads.ts). Both give the same adversarial examples.
 *
 * @example
 * ```ts
 * const { tracking, reason } = trackingFor(tf.getBackend()); // "device" on webgpu
 * const tracker = newTracker(x, tracking);
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { WEBGPU_BACKEND } from "../backends/webgpu/name.ts";
import { DeviceTracker } from "./device_tracker.ts";
import { type AttackTracker, ShrinkingTracker } from "./tracker.ts";

/** The two bookkeepings: `shrink` (tracker.ts) and `device` (device_tracker.ts). */
export type Tracking = "shrink" | "device";

/** A choice of {@link Tracking} and why. */
export interface TrackingDecision {
  tracking: Tracking;
  reason: string;
}

/** tfjs backends whose reads wait for a GPU queue. */
const GPU_READ_BACKENDS: ReadonlySet<string> = new Set([WEBGPU_BACKEND, "webgpu", "webgl"]);

/** The bookkeeping for tfjs backend `backend` (the name `tf.getBackend()` returns). */
export function trackingFor(backend: string): TrackingDecision {
  return GPU_READ_BACKENDS.has(backend)
    ? {
      tracking: "device",
      reason:
        `${backend} reads wait for the GPU queue: keep the bookkeeping on the device, read in the background`,
    }
    : {
      tracking: "shrink",
      reason:
        `${backend} reads are copies in memory: read every iterate and drop broken rows to save compute`,
    };
}

/** A new tracker of kind `tracking` for the batch `x`. */
export function newTracker(x: tf.Tensor4D, tracking: Tracking): AttackTracker {
  return tracking === "device" ? new DeviceTracker(x) : new ShrinkingTracker(x);
}
