/**
 * Training steps on webgpu through step graphs (lib/backends/webgpu/step_graph.ts): the step for a batch
 * shape is captured twice, the two recordings compared, and from then on replayed without
 * tfjs; each step's [loss, cross-entropy, μ_SI, hits] is copied into readback slots that are read every
 * `readEvery` steps while the next steps fill a second set. The numbers are those of the eager step, bit for
 * bit (same kernels in the same order).
 *
 * A step that cannot be replayed (its two captures differ, e.g. a random mask drawn on the CPU) still runs
 * — as a capture that is thrown away — and {@link GraphStepStats.unreplayable} says why. The learning rate
 * is an input of the graph (a float32 scalar written per replay, read by the update kernel from its buffer),
 * so a schedule costs no captures.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { captureStep, type Recording, sameRecording, type StepGraph } from "../backends/webgpu/step_graph.ts";
import { ReadbackSlots } from "../backends/webgpu/readback.ts";
import { asSelectivityWebGpu } from "../backends/webgpu/backend.ts";
import { type Batch, batchTensors, type DeviceBatch } from "../data/batches.ts";

/** What a {@link GraphStepper} did. */
export interface GraphStepStats {
  /** Steps run as captures (through tfjs). */
  captures: number;
  /** Steps replayed. */
  replays: number;
  /** Dispatches per replayed step (of the last graph made). */
  dispatchesPerStep: number;
  /** Why some step could not be replayed (the first reason seen), or null. */
  unreplayable: string | null;
}

/** One finished step: its batch index and its four terms. */
export interface StepRow {
  batch: number;
  terms: Float32Array;
}

/**
 * One training step on tensors `x` and `labels` with learning rate `lr` (a float32 scalar tensor: an input of
 * the graph); returns the [4] terms tensor.
 */
export type TrainOnce = (x: tf.Tensor4D, labels: tf.Tensor1D, lr: tf.Scalar) => tf.Tensor;

const TERMS_BYTES = 16;

/**
 * Captures in a row that may differ from the one before before a step is deemed unreplayable. The first
 * step of a process differs from the second (lazily created constants), so one mismatch is expected.
 */
const MAX_MISMATCHES = 3;

interface Entry {
  /** A verified graph (two captures agreed). */
  graph: StepGraph | null;
  /** The recording of the first capture (its graph is disposed at once), waiting for a second to compare. */
  pending: Recording | null;
  /** Captures in a row whose recording differed from the one before. */
  mismatches: number;
  /** Set once {@link MAX_MISMATCHES} captures in a row differed: never replayed. */
  refused: boolean;
  /** Unreplayable captures in a row (the first step's often is: initial values still shared). */
  failures: number;
}

/**
 * Runs training steps through step graphs and collects their terms.
 *
 * @example
 * const stepper = new GraphStepper(device, 16, (x, y, lr) => trainOnce(ctx, x, y, lr));
 * for (const [b, batch] of batches.entries()) check(await stepper.step(batch, lr, b));
 * check(await stepper.drain());
 * stepper.dispose();
 */
export class GraphStepper {
  readonly stats: GraphStepStats = { captures: 0, replays: 0, dispatchesPerStep: 0, unreplayable: null };
  readonly #once: TrainOnce;
  readonly #slots: [ReadbackSlots, ReadbackSlots];
  readonly #batchesIn: [number[], number[]] = [[], []];
  #current = 0;
  #entries = new Map<string, Entry>();
  readonly #backend = asSelectivityWebGpu(tf.backend(), "GraphStepper");

  constructor(device: GPUDevice, readEvery: number, once: TrainOnce) {
    this.#once = once;
    this.#slots = [
      new ReadbackSlots(device, readEvery, TERMS_BYTES),
      new ReadbackSlots(device, readEvery, TERMS_BYTES),
    ];
  }

  /**
   * Queues one step on `batch` (index `index` in the epoch; its images on the CPU, or a tensor on this device,
   * which a replay copies on the GPU). Returns the rows of an earlier group of steps once it has been read,
   * else an empty list.
   */
  async step(batch: Batch | DeviceBatch, lr: number, index: number): Promise<StepRow[]> {
    const slots = this.#slots[this.#current];
    const sink = slots.sink(this.#batchesIn[this.#current].length);
    this.#run(batch, lr, sink);
    this.#batchesIn[this.#current].push(index);
    if (this.#batchesIn[this.#current].length < slots.slots) return [];
    slots.startRead();
    this.#current = 1 - this.#current;
    return this.#slots[this.#current].reading ? await this.#collect(this.#current) : [];
  }

  /** Reads every step queued so far, oldest first. */
  async drain(): Promise<StepRow[]> {
    const older = 1 - this.#current;
    const rows = this.#slots[older].reading ? await this.#collect(older) : [];
    if (this.#batchesIn[this.#current].length > 0) rows.push(...await this.#collect(this.#current));
    return rows;
  }

  /** Frees graphs and readback buffers (call after {@link drain}). */
  dispose(): void {
    this.#dropGraphs();
    for (const s of this.#slots) s.dispose();
  }

  async #collect(k: number): Promise<StepRow[]> {
    const batches = this.#batchesIn[k];
    // The slots bypass tfjs's reads, which check this: a step with a rejected program would give stale terms.
    await this.#backend.assertProgramsValid();
    const values = await this.#slots[k].read(batches.length);
    this.#batchesIn[k] = [];
    return batches.map((batch, i) => ({ batch, terms: values.slice(4 * i, 4 * i + 4) }));
  }

  #dropGraphs(): void {
    for (const e of this.#entries.values()) {
      e.graph?.dispose();
    }
    this.#entries.clear();
  }

  #run(batch: Batch | DeviceBatch, lr: number, sink: { buffer: GPUBuffer; offset: number }): void {
    const key = batch.shape.join("x");
    let entry = this.#entries.get(key);
    if (!entry) {
      this.#entries.set(
        key,
        entry = { graph: null, pending: null, mismatches: 0, refused: false, failures: 0 },
      );
    }
    if (entry.graph?.isCurrent()) {
      entry.graph.replay([batch.x, batch.labels, Float32Array.of(lr)], sink);
      this.stats.replays++;
      return;
    }
    entry.graph?.dispose();
    entry.graph = null;
    const [x, labels] = batchTensors(batch);
    const rate = tf.scalar(lr, "float32");
    const graph = captureStep(() => [this.#once(x, labels, rate)], [x, labels, rate]);
    tf.dispose([x, labels, rate]);
    graph.copyOutputs(sink);
    this.stats.captures++;
    this.#adopt(entry, graph);
  }

  /**
   * Keeps the graph when its recording matches the pending one; otherwise keeps only its recording as the
   * new pending one (the graph itself is disposed: it is not needed for the comparison).
   */
  #adopt(entry: Entry, graph: StepGraph): void {
    if (entry.refused || graph.unreplayable !== null) {
      if (graph.unreplayable !== null && ++entry.failures >= 2) {
        this.stats.unreplayable ??= graph.unreplayable;
      }
      graph.dispose();
      return;
    }
    entry.failures = 0;
    const first = entry.pending;
    entry.pending = null;
    if (!first) {
      entry.pending = graph.recording;
      graph.dispose();
      return;
    }
    if (sameRecording(first, graph.recording)) {
      entry.graph = graph;
      entry.mismatches = 0;
      this.stats.dispatchesPerStep = graph.dispatchCount;
      return;
    }
    entry.pending = graph.recording;
    graph.dispose();
    if (++entry.mismatches < MAX_MISMATCHES) return;
    entry.refused = true;
    this.stats.unreplayable ??=
      `${MAX_MISMATCHES} captures in a row recorded different uploads or uniforms than the one before (a ` +
      "random or data-dependent value computed on the CPU); the step runs through tfjs";
  }
}
