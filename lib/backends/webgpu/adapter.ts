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
  // Deno's WebGPU prints "XDG_RUNTIME_DIR is invalid or not set" on every process without it (CI, the runner's
  // stage processes); it only needs a private writable directory.
  if (!Deno.env.get("XDG_RUNTIME_DIR")) {
    const dir = `${Deno.env.get("TMPDIR") ?? "/tmp"}/xdg-runtime-${Deno.uid() ?? "user"}`;
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    Deno.env.set("XDG_RUNTIME_DIR", dir);
  }
  if (!("gpu" in navigator) || !navigator.gpu) return null;
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  return adapter ? summariseAdapter(adapter.info) : null;
}
