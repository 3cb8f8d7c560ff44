/**
 * Counts WebGPU API calls and the wall time spent inside them, by wrapping the prototypes of Deno's
 * `GPUDevice`, `GPUQueue` and `GPUBuffer`. {@link installGpuCounters} wraps them (objects made before count
 * too: the methods live on the prototypes); {@link snapshot} / {@link diff} give per-step figures (buffers
 * created, bytes, submits, pipelines compiled, readbacks and the time awaited on them). Used by the bench tools
 * (bench/gpu/stage_profile.ts) and by every stage when `PIPELINE_GPU_COUNTERS=1` (stages/support/stage_costs.ts).
 *
 * @example
 * ```ts
 * installGpuCounters();
 * const before = snapshot();
 * await work();
 * diff(before, snapshot())["buffer.mapAsync"]; // { calls, ms, bytes } of the reads `work` made
 * ```
 *
 * @module
 */

/** Calls and milliseconds (plus bytes where it applies) per wrapped method. */
export type Counters = Record<string, { calls: number; ms: number; bytes: number }>;

const counters: Counters = {};

function bump(name: string, ms: number, bytes = 0) {
  const c = counters[name] ??= { calls: 0, ms: 0, bytes: 0 };
  c.calls++;
  c.ms += ms;
  c.bytes += bytes;
}

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

function wrap(
  proto: Record<string, unknown> | undefined,
  cls: string,
  method: string,
  size?: (args: unknown[]) => number,
) {
  if (!proto || typeof proto[method] !== "function") return;
  const original = proto[method] as AnyFn;
  proto[method] = function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    const out = original.apply(this, args);
    const bytes = size?.(args) ?? 0;
    if (out instanceof Promise) {
      return out.finally(() => bump(`${cls}.${method}`, performance.now() - t0, bytes));
    }
    bump(`${cls}.${method}`, performance.now() - t0, bytes);
    return out;
  };
}

let installed = false;

/** Wraps the WebGPU methods (idempotent). Returns false when this runtime has no WebGPU classes. */
export function installGpuCounters(): boolean {
  if (installed) return true;
  const g = globalThis as unknown as Record<string, { prototype: Record<string, unknown> } | undefined>;
  if (!g.GPUDevice) return false;
  const device = g.GPUDevice.prototype, queue = g.GPUQueue?.prototype, buffer = g.GPUBuffer?.prototype;
  for (
    const m of [
      "createBuffer",
      "createBindGroup",
      "createComputePipeline",
      "createShaderModule",
      "createCommandEncoder",
      "createQuerySet",
    ]
  ) {
    wrap(device, "device", m, m === "createBuffer" ? (a) => (a[0] as { size: number }).size : undefined);
  }
  wrap(queue, "queue", "submit");
  wrap(queue, "queue", "writeBuffer", (a) => {
    const data = a[2] as ArrayBufferView | ArrayBuffer;
    return (a[4] as number | undefined) ?? data.byteLength;
  });
  wrap(buffer, "buffer", "mapAsync");
  wrap(buffer, "buffer", "destroy");
  wrap(buffer, "buffer", "getMappedRange");
  wrap(buffer, "buffer", "unmap");
  installed = true;
  return true;
}

/** A copy of the counters now. */
export function snapshot(): Counters {
  return structuredClone(counters);
}

/** `after − before`, dropping methods that were not called in between; ms rounded to 0.01. */
export function diff(before: Counters, after: Counters): Counters {
  const out: Counters = {};
  for (const [k, a] of Object.entries(after)) {
    const b = before[k] ?? { calls: 0, ms: 0, bytes: 0 };
    if (a.calls === b.calls) continue;
    out[k] = {
      calls: a.calls - b.calls,
      ms: Math.round((a.ms - b.ms) * 100) / 100,
      bytes: a.bytes - b.bytes,
    };
  }
  return out;
}
