/**
 * Finding out which WebGPU adapter (if any) Deno offers, without initialising the tfjs webgpu backend.
 */

/** What we record about an adapter (JSON-able). */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for software rasterisers (Mesa llvmpipe/lavapipe, SwiftShader, WARP). */
  isFallbackAdapter: boolean;
}

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|warp/i;

/** Summarises `GPUAdapterInfo`; an adapter counts as a fallback when it says so or is a known software one. */
export function summariseAdapter(info: GPUAdapterInfo): AdapterSummary {
  const flagged = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const description = info.description ?? "";
  return {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description,
    isFallbackAdapter: flagged || SOFTWARE_ADAPTER.test(`${description} ${info.device ?? ""}`),
  };
}

/**
 * The adapter tfjs-backend-webgpu would get (it asks for "high-performance"), or null when Deno has none,
 * e.g. when no Vulkan driver is installed.
 *
 * @example
 * const a = await probeWebGpuAdapter();
 * if (a && !a.isFallbackAdapter) console.log("real GPU:", a.description);
 */
export async function probeWebGpuAdapter(): Promise<AdapterSummary | null> {
  if (!("gpu" in navigator) || !navigator.gpu) return null;
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  return adapter ? summariseAdapter(adapter.info) : null;
}
