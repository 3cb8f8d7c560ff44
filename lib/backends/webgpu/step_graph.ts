/**
 * Step graphs for tfjs-backend-webgpu 4.22: a step (e.g. one training step) run once through tfjs while every
 * dispatch is recorded, then replayed as one command buffer with no tfjs in the loop — the idea of CUDA
 * graphs. On the H200 tfjs spends ~70 µs of CPU per dispatch (op dispatch, autodiff tape, shape inference,
 * buffer pool); a replay spends three encoder calls per dispatch.
 *
 * What a replay assumes, and how capture makes sure of it:
 * - The same buffers. Buffers that tensors release during the capture (intermediates, old variable values)
 *   are kept by the graph instead of going back to tfjs's pool; tensors still alive afterwards that a
 *   dispatch used (inputs, outputs, new variable values, constants) are held by the graph with an extra
 *   reference, so nothing a replay touches is ever handed to another tensor.
 * - Variables change buffers on every `assign`: the captured step read each variable from one buffer and
 *   wrote its new value to another. A replay copies the variable's value, wherever it lives now, into the
 *   buffer the recorded reads use, and copies the recorded result back into the variable's current buffer
 *   when that is not the one the recorded writes use; the variable keeps its tensor and buffer. So an outside
 *   `assign` (loading a checkpoint, another graph, an eager step) is honoured by the next replay. The graph
 *   may share such a buffer with other graphs (each uses it as scratch), never with other tensors: when an
 *   old value is still referenced by some other tensor, the capture is marked unreplayable.
 * - Variables updated in place (whole_program.ts: the fused SGD and moving averages) keep their buffer: the
 *   graph reads and writes them there, and copies only when an outside `assign` moved them.
 * - New data only through the declared `inputs`: their buffers get the replay's data. Anything else the step
 *   uploads from the CPU (scalars, constants) is replayed as captured; two captures of the same step can be
 *   compared with {@link sameRecording} to find steps whose uploads or uniforms change (random masks,
 *   data-dependent scalars), which must not be replayed.
 * - No reads from the device inside the step (a readback makes capture throw; a profiled or pixel dispatch
 *   makes the capture unreplayable).
 *
 * Capture is a mode of our backend (backend.ts) and needs its dispatch cache (dispatch_cache.ts): its cached
 * path is where dispatches are recorded, and its uniform buffers are never rewritten.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { RecordedDispatch } from "./dispatch_cache.ts";
import type { TensorData, WebGpuInternals } from "./internals.ts";
import { makeSoleOwners } from "./whole_program.ts";
import {
  asSelectivityWebGpu,
  type CapturedUpload,
  CaptureError,
  type SelectivityWebGpuBackend,
} from "./backend.ts";

export { type CapturedUpload, CaptureError };

type Internals = WebGpuInternals;

function ourBackend(backend: tf.KernelBackend): SelectivityWebGpuBackend {
  try {
    return asSelectivityWebGpu(backend, "captureStep");
  } catch (e) {
    throw new CaptureError((e as Error).message);
  }
}

/**
 * Submits whatever tfjs has recorded but not yet submitted, so later submits are ordered after it; with
 * `releases`, submits even when nothing is recorded, which makes tfjs release the buffers of tensors disposed
 * while commands that use them were pending.
 */
function flush(b: Internals, releases = false): void {
  if (!b.commandEncoder && !releases) return;
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  b.submitQueue();
}

function gpuBuffer(b: Internals, dataId: object, what: string): GPUBuffer {
  const resource = b.tensorMap.get(dataId)?.resource;
  if (!(resource instanceof GPUBuffer)) throw new CaptureError(`${what} is not held in a GPU buffer`);
  return resource;
}

/** Bytes of a tensor on the GPU (float32, int32 and bool all take 4 bytes an element there). */
function byteSize(t: { shape: number[]; dtype: tf.DataType }): number {
  if (t.dtype === "complex64" || t.dtype === "string") {
    throw new CaptureError(`a ${t.dtype} tensor takes part in the step; only float32, int32 and bool can`);
  }
  return tf.util.sizeFromShape(t.shape) * 4;
}

/** What two captures of one step are compared by: the dispatches in order and the constants uploaded. */
export interface Recording {
  dispatches: readonly RecordedDispatch[];
  uploads: readonly CapturedUpload[];
}

/** A variable the graph uses: where the recorded dispatches read it, and write it when the step assigns it. */
interface StateEntry {
  variable: tf.Variable;
  read: GPUBuffer;
  written: GPUBuffer | null;
  size: number;
}

/**
 * A recorded step. Make one with {@link captureStep}; {@link replay} runs the step again on new input data;
 * {@link dispose} gives every buffer back.
 */
export class StepGraph {
  readonly #b: Internals;
  readonly #backend: SelectivityWebGpuBackend;
  readonly #dispatches: RecordedDispatch[];
  readonly #inputs: { buffer: GPUBuffer; bytes: number }[];
  readonly #outputs: { buffer: GPUBuffer; bytes: number }[];
  readonly #state: StateEntry[];
  /** The variables the step writes (in place or by `assign`): each replay makes them sole owners first. */
  readonly #written: tf.Variable[];
  readonly #held: tf.Tensor[];
  readonly #heldIds: object[];
  readonly #owned: GPUBuffer[];
  readonly #uniforms: GPUBuffer[];
  /** Why this capture cannot be replayed (its outputs can still be copied), or null. */
  readonly unreplayable: string | null;
  /** Constants the step uploaded during capture, in order. */
  readonly uploads: readonly CapturedUpload[];
  #disposed = false;

  /** @internal Use {@link captureStep}. */
  constructor(parts: {
    b: Internals;
    backend: SelectivityWebGpuBackend;
    dispatches: RecordedDispatch[];
    inputs: { buffer: GPUBuffer; bytes: number }[];
    outputs: { buffer: GPUBuffer; bytes: number }[];
    state: StateEntry[];
    held: tf.Tensor[];
    owned: GPUBuffer[];
    uploads: CapturedUpload[];
    unreplayable: string | null;
  }) {
    this.#b = parts.b;
    this.#backend = parts.backend;
    this.#dispatches = parts.dispatches;
    this.#inputs = parts.inputs;
    this.#outputs = parts.outputs;
    this.#state = parts.state;
    this.#written = parts.state.filter((s) => s.written).map((s) => s.variable);
    this.#held = parts.held;
    this.#heldIds = parts.held.map((t) => t.dataId);
    this.#backend.holdForGraph(this.#heldIds, 1);
    this.#owned = parts.owned;
    this.uploads = parts.uploads;
    this.unreplayable = parts.unreplayable;
    this.#uniforms = [...new Set(parts.dispatches.map((d) => d.uniform))];
    this.#backend.pinUniforms(this.#uniforms, 1);
  }

  /** Dispatches per replay. */
  get dispatchCount(): number {
    return this.#dispatches.length;
  }

  /** Variables the step assigns. */
  get assignedVariables(): number {
    return this.#state.filter((s) => s.written).length;
  }

  /** The recording, for {@link sameRecording}; it stays readable after {@link dispose}. */
  get recording(): Recording {
    return { dispatches: this.#dispatches, uploads: this.uploads };
  }

  /** Whether the graph can be replayed: replayable, not disposed, and no variable it uses disposed. */
  isCurrent(): boolean {
    return this.unreplayable === null && !this.#disposed && this.#state.every((s) => !s.variable.isDisposed);
  }

  /**
   * Runs the step again: writes `inputs` (one per captured input, same byte size: a typed array, written from
   * the CPU, or a tensor already on this device, copied there on the GPU) into the input buffers and submits
   * every recorded dispatch in one command buffer; with `sink`, the outputs are then copied there (at
   * `offset`, one after another). Throws unless {@link isCurrent}.
   *
   * @example
   * graph.replay([batch.x, batch.labels], { buffer: ring.buffer, offset: ring.offsetOf(k) });
   */
  replay(
    inputs: readonly (ArrayBufferView | tf.Tensor)[],
    sink?: { buffer: GPUBuffer; offset: number },
  ): void {
    if (!this.isCurrent()) {
      throw new Error(
        `StepGraph.replay: ${this.unreplayable ?? "the graph or a variable it uses is disposed"}`,
      );
    }
    if (inputs.length !== this.#inputs.length) {
      throw new Error(
        `StepGraph.replay: ${inputs.length} inputs given, the step was captured with ${this.#inputs.length}`,
      );
    }
    const b = this.#b;
    // A variable the step writes whose data another tensor shares (an outside `assign`) gets its own copy, so
    // the replay changes no other tensor. Variables assigned from the CPU are uploaded: tfjs may record either
    // as commands in its own encoder, which the flush then submits ahead of the replay.
    makeSoleOwners(this.#written, this.#backend);
    const current = this.#state.map(({ variable }) => {
      b.uploadToGPU(variable.dataId);
      return gpuBuffer(b, variable.dataId, `variable '${variable.name}'`);
    });
    const onDevice = inputs.map((data, i) => {
      if (!(data instanceof tf.Tensor)) return null;
      b.uploadToGPU(data.dataId);
      return gpuBuffer(b, data.dataId, `input ${i}`);
    });
    flush(b);
    const encoder = b.device.createCommandEncoder();
    inputs.forEach((data, i) => {
      const { buffer, bytes } = this.#inputs[i];
      const given = data instanceof tf.Tensor ? byteSize(data) : data.byteLength;
      if (given !== bytes) {
        throw new Error(`StepGraph.replay: input ${i} has ${given} bytes, the captured one ${bytes}`);
      }
      const source = onDevice[i];
      if (source) encoder.copyBufferToBuffer(source, 0, buffer, 0, bytes);
      else {
        const view = data as ArrayBufferView;
        b.queue.writeBuffer(buffer, 0, view.buffer as ArrayBuffer, view.byteOffset, view.byteLength);
      }
    });
    this.#state.forEach(({ read, size }, i) => {
      if (current[i] !== read) encoder.copyBufferToBuffer(current[i], 0, read, 0, size);
    });
    const pass = encoder.beginComputePass();
    let pipeline: GPUComputePipeline | null = null;
    for (const d of this.#dispatches) {
      if (d.pipeline !== pipeline) pass.setPipeline(pipeline = d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    }
    pass.end();
    this.#state.forEach(({ written, size }, i) => {
      if (written && current[i] !== written) encoder.copyBufferToBuffer(written, 0, current[i], 0, size);
    });
    if (sink) this.#encodeOutputCopies(encoder, sink);
    b.queue.submit([encoder.finish()]);
    // Values tfjs cached on the CPU by an earlier read are stale now.
    const forget = (dataId: object) => {
      if (b.tensorMap.has(dataId)) b.tensorMap.get(dataId)!.values = null;
    };
    this.#heldIds.forEach(forget);
    for (const { variable } of this.#state) forget(variable.dataId);
  }

  /** Copies the outputs of the last capture or replay into `sink` (after all work submitted so far). */
  copyOutputs(sink: { buffer: GPUBuffer; offset: number }): void {
    flush(this.#b);
    const encoder = this.#b.device.createCommandEncoder();
    this.#encodeOutputCopies(encoder, sink);
    this.#b.queue.submit([encoder.finish()]);
  }

  #encodeOutputCopies(encoder: GPUCommandEncoder, sink: { buffer: GPUBuffer; offset: number }): void {
    let offset = sink.offset;
    for (const o of this.#outputs) {
      encoder.copyBufferToBuffer(o.buffer, 0, sink.buffer, offset, o.bytes);
      offset += o.bytes;
    }
  }

  /** Gives back every buffer and tensor the graph holds; idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    flush(this.#b);
    this.#backend.pinUniforms(this.#uniforms, -1);
    this.#backend.holdForGraph(this.#heldIds, -1);
    tf.dispose(this.#held);
    for (const buffer of this.#owned) this.#b.bufferManager.releaseBuffer(buffer);
  }
}

/**
 * Whether two captures of the same step recorded the same program: the same pipelines, workgroup counts and
 * uniforms in the same order, and the same uploaded constants. When not, something the step computes on the
 * CPU changes between steps (a random mask, a data-dependent scalar) and a replay would freeze it.
 *
 * @example
 * const first = captureStep(step, inputs).recording; // (dispose that graph before the next capture)
 * if (!sameRecording(first, captureStep(step, inputs).recording)) { … run the step through tfjs instead … }
 */
export function sameRecording(a: Recording, b: Recording): boolean {
  const da = a.dispatches, db = b.dispatches;
  if (da.length !== db.length || a.uploads.length !== b.uploads.length) return false;
  for (let i = 0; i < da.length; i++) {
    const p = da[i], q = db[i];
    if (
      p.pipeline !== q.pipeline || p.uniform !== q.uniform ||
      p.workgroups.some((w, k) => w !== q.workgroups[k])
    ) {
      return false;
    }
  }
  return a.uploads.every((u, i) => {
    const v = b.uploads[i];
    return u.dtype === v.dtype && tf.util.arraysEqual(u.shape, v.shape) &&
      tf.util.arraysEqual(u.values, v.values);
  });
}

/**
 * Runs `step` once through tfjs (a real step: its updates happen) while recording it, and returns the
 * graph. `inputs` are the tensors whose data changes from step to step (a replay writes new data into their
 * buffers); `step` returns the tensors to read afterwards (the graph takes them over: read them with
 * {@link StepGraph.copyOutputs}, do not dispose them). The active backend must be webgpu with the dispatch
 * cache. A capture that cannot be replayed says why in {@link StepGraph.unreplayable} (the step itself ran
 * fully). Throws {@link CaptureError} when the step reads data back from the device: it stops midway then.
 *
 * @example
 * const x = tf.tensor4d(batch.x, batch.shape), y = tf.tensor1d(batch.labels, "int32");
 * const graph = captureStep(() => [trainOnce(x, y)], [x, y]);
 * tf.dispose([x, y]); // the graph holds what it needs
 * graph.replay([next.x, next.labels]);
 */
export function captureStep(step: () => tf.Tensor[], inputs: readonly tf.Tensor[]): StepGraph {
  const backend = ourBackend(tf.backend());
  const b = backend.internals;
  for (const t of inputs) b.uploadToGPU(t.dataId);
  const variables = Object.values(tf.engine().state.registeredVariables) as tf.Variable[];
  for (const v of variables) b.uploadToGPU(v.dataId);
  flush(b);
  const before = new Map(
    variables.map((v) => [v, { dataId: v.dataId, buffer: gpuBuffer(b, v.dataId, `variable '${v.name}'`) }]),
  );

  backend.beginCapture(inputs.map((t) => t.dataId));
  let outputs: tf.Tensor[];
  let log;
  try {
    outputs = step();
    flush(b, true);
  } catch (e) {
    for (const buffer of backend.endCapture()!.owned) b.bufferManager.releaseBuffer(buffer);
    throw e;
  } finally {
    log = backend.endCapture();
  }
  const { dispatches, problems, uploads, owned } = log!;

  // Everything a dispatch used that is still alive gets an extra reference held by the graph.
  const used = new Map<object, GPUBuffer>();
  for (const d of dispatches) {
    for (const r of [d.output, ...d.inputs]) used.set(r.dataId, r.buffer);
  }
  for (const t of [...inputs, ...outputs]) {
    used.set(t.dataId, gpuBuffer(b, t.dataId, "a step input or output"));
  }
  const held: tf.Tensor[] = [];
  const hold = (dataId: object, data: TensorData) => {
    b.incRef(dataId);
    held.push(tf.keep(tf.engine().makeTensorFromDataId(dataId, data.shape, data.dtype, backend)));
  };
  for (const [dataId, buffer] of used) {
    // (DataStorage.get of an unknown dataId would try to move it from another backend.)
    const data = b.tensorMap.has(dataId) ? b.tensorMap.get(dataId) : undefined;
    if (data && data.resource === buffer) hold(dataId, data);
  }
  const usedBuffers = new Set(used.values());
  const writtenBuffers = new Set<GPUBuffer>();
  for (const d of dispatches) {
    writtenBuffers.add(d.output.buffer);
    for (const r of d.inputs.slice(0, d.inputsWritten)) writtenBuffers.add(r.buffer);
  }
  const state: StateEntry[] = [];
  for (const [variable, was] of before) {
    const now = variable.dataId;
    const size = byteSize(variable);
    if (now === was.dataId) {
      if (usedBuffers.has(was.buffer)) {
        const inPlace = writtenBuffers.has(was.buffer);
        state.push({ variable, read: was.buffer, written: inPlace ? was.buffer : null, size });
      }
      continue;
    }
    const written = gpuBuffer(b, now, `variable '${variable.name}'`);
    if (!usedBuffers.has(was.buffer)) {
      // Assigned without reading the old value.
      if (usedBuffers.has(written)) state.push({ variable, read: written, written, size });
      continue;
    }
    if (!owned.has(was.buffer)) {
      // The old value outlived the step: fine when only other graphs hold it (scratch to them too).
      const data = b.tensorMap.has(was.dataId) ? b.tensorMap.get(was.dataId) : undefined;
      const refs = b.refCount(was.dataId);
      if (!data || data.resource !== was.buffer || refs !== backend.graphHolds(was.dataId)) {
        problems.push(
          `variable '${variable.name}' was assigned, but its previous value is still referenced by another ` +
            `tensor (dispose that tensor before capturing)`,
        );
        continue;
      }
      hold(was.dataId, data);
    }
    state.push({ variable, read: was.buffer, written, size });
  }
  const describe = (t: tf.Tensor) => ({
    buffer: gpuBuffer(b, t.dataId, "a step input or output"),
    bytes: byteSize(t),
  });
  const graph = new StepGraph({
    b,
    backend,
    dispatches,
    inputs: inputs.map(describe),
    outputs: outputs.map(describe),
    state,
    held,
    owned: [...owned],
    uploads,
    unreplayable: problems.length === 0
      ? null
      : `${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ""}`,
  });
  tf.dispose(outputs);
  return graph;
}
