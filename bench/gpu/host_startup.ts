/**
 * What a stage host's first stage pays before its work starts, in three parts: Deno's own start-up (process
 * start to this module's first line, `performance.now()`), importing a stage module, and initialising the
 * backend that `PIPELINE_BACKEND` names (as a stage does first). bench/gpu/host_startup.sh runs several at
 * once, as the persistent executor starts its hosts. Prints one JSON line.
 *
 * Run from a project root: `PIPELINE_BACKEND=webgpu deno run -A bench/gpu/host_startup.ts [stages/train.ts]`.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const startup = performance.now();
const module = Deno.args[0] ?? "stages/train.ts";
const t0 = performance.now();
await import(pathToFileURL(resolve(module)).href);
const t1 = performance.now();
const { initBackend } = await import("../../lib/backends/select.ts");
const backend = (Deno.env.get("PIPELINE_BACKEND") ?? "auto") as Parameters<typeof initBackend>[0];
const info = await initBackend(backend);
const t2 = performance.now();
console.log(JSON.stringify({
  module,
  backend: info.backend,
  startup_ms: Math.round(startup),
  import_ms: Math.round(t1 - t0),
  backend_ms: Math.round(t2 - t1),
}));
Deno.exit(0);
