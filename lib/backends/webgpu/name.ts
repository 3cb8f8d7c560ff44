/**
 * The tfjs backend name of our WebGPU backend (lib/backends/webgpu/backend.ts). Users keep writing
 * `runtime.backend: webgpu`; `initBackend("webgpu")` activates this one. tfjs's own `"webgpu"` stays registered
 * untouched, as the stock reference for benchmarks and kernel checks.
 *
 * @example
 * await tf.setBackend(WEBGPU_BACKEND);
 */
export const WEBGPU_BACKEND = "webgpu-sr";
