/**
 * Makes the threaded SIMD build of tfjs-backend-wasm 4.22 work under Deno.
 *
 * Deno defines `process.versions.node`, so tfjs treats it as Node: the multithread flag is forced off, and
 * Emscripten starts its pthread workers through `node:worker_threads` from a `blob:` URL, which Deno rejects.
 * {@link enableWasmThreads} forces the flag, writes the pthread worker to a real `.cjs` file in the user cache
 * directory ({@link workerCacheDir}, else the temp directory; named by a hash of its content, so checkouts
 * sharing it never clash and a file left by an earlier run is reused read-only), and makes
 * `URL.createObjectURL` return that file for the worker script. Inside the worker it replaces Emscripten's `Object.assign(global, {location, …})` (Deno's worker `location` is
 * getter-only) and points `URL.createObjectURL` at the Emscripten factory file.
 *
 * It also makes `os.cpus()` report `2 × max(threads, cores)` entries: the wasm backend caps its XNNPACK pool at
 * half of that count, which would otherwise allow only 1 thread on a 2-core machine.
 *
 * This edits tfjs internals by text: re-verify thread count and gradients after any tfjs or Deno upgrade.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";
import { createHash } from "node:crypto";

const WORKER_MODULE = "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js";
const FACTORY_FILE = "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js";
const GLOBAL_ASSIGN = "Object.assign(global,";

let enabledFor = 0;

/**
 * Where the generated worker goes: `$XDG_CACHE_HOME/selectivity-robustness/`, else
 * `$HOME/.cache/selectivity-robustness/`, else the system temp directory's `selectivity-robustness/`.
 *
 * @example
 * workerCacheDir(); // file:///root/.cache/selectivity-robustness/
 */
export function workerCacheDir(): URL {
  const base = Deno.env.get("XDG_CACHE_HOME") ||
    (Deno.env.get("HOME") ? `${Deno.env.get("HOME")}/.cache` : undefined) ||
    Deno.env.get("TMPDIR") || "/tmp";
  return new URL(`file://${base.replace(/\/+$/, "")}/selectivity-robustness/`);
}

/**
 * Enables the threaded wasm binary for up to `threads` threads. Call before the wasm backend initialises
 * (before `tf.setBackend("wasm")`), then `setThreadsCount(threads)`. Repeated calls only raise the cap.
 *
 * @example
 * enableWasmThreads(2);
 * wasm.setThreadsCount(2);
 * await tf.setBackend("wasm");
 */
export function enableWasmThreads(threads: number, genDir = workerCacheDir()): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`enableWasmThreads: threads must be a positive integer, got ${threads}`);
  }
  const require = createRequire(import.meta.url);
  const os = require("node:os") as { cpus(): unknown[] };
  if (enabledFor === 0) {
    const workerPath = writeWorker(require, genDir);
    const createObjectURL = URL.createObjectURL;
    URL.createObjectURL = (obj: Blob) =>
      obj instanceof Blob && obj.type === "application/javascript" ? workerPath : createObjectURL(obj);
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  }
  const wanted = 2 * Math.max(threads, navigator.hardwareConcurrency);
  if (wanted > enabledFor) {
    const real = os.cpus.call(os);
    os.cpus = () => Array.from({ length: wanted }, (_, i) => real[i % real.length]);
    enabledFor = wanted;
  }
}

function writeWorker(require: NodeRequire, genDir: URL): string {
  const factoryPath = require.resolve(FACTORY_FILE);
  const { wasmWorkerContents } = require(WORKER_MODULE) as { wasmWorkerContents: string };
  if (!wasmWorkerContents.includes(GLOBAL_ASSIGN)) {
    throw new Error(
      `enableWasmThreads: '${GLOBAL_ASSIGN}' not found in ${WORKER_MODULE}; the tfjs-backend-wasm version ` +
        `differs from 4.22 — re-derive the worker patch or use threads: 1`,
    );
  }
  const prelude = `URL.createObjectURL=function(){return ${JSON.stringify(factoryPath)}};` +
    `URL.revokeObjectURL=function(){};` +
    `function __defineAll(t,o){for(const k of Object.keys(o)){try{Object.defineProperty(t,k,` +
    `{value:o[k],writable:true,configurable:true,enumerable:true})}catch(_){try{t[k]=o[k]}catch(_2){}}}return t}\n`;
  // Same transformation tfjs applies before making its Blob: literal newlines in the source become "\n".
  const body = wasmWorkerContents.replace(/\n/g, "\\n").replace(GLOBAL_ASSIGN, "__defineAll(global,");
  const contents = prelude + body;
  const hash = createHash("sha256").update(contents).digest("hex").slice(0, 16);
  const name = `tfjs-wasm-pthread-worker-${hash}.cjs`;
  // The user cache, else the temp directory (e.g. in the stage sandbox, where only /tmp is writable).
  const tmpDir = new URL(
    `file://${(Deno.env.get("TMPDIR") || "/tmp").replace(/\/+$/, "")}/selectivity-robustness/`,
  );
  const failures: string[] = [];
  for (const dir of genDir.href === tmpDir.href ? [genDir] : [genDir, tmpDir]) {
    const file = new URL(name, dir);
    // Named by its content: a file already there is this worker (left by an earlier run, maybe read-only now).
    if (existsFile(file)) return file.pathname;
    try {
      Deno.mkdirSync(dir, { recursive: true });
      // Write-then-rename: another process starting its workers from this file must never see it half-written.
      const tmp = new URL(`${name}.${Deno.pid}.tmp`, dir);
      Deno.writeTextFileSync(tmp, contents);
      Deno.renameSync(tmp, file);
      return file.pathname;
    } catch (e) {
      failures.push(`${dir.pathname}: ${(e as Error).message}`);
    }
  }
  throw new Error(
    `enableWasmThreads: cannot write the pthread worker (${failures.join("; ")}); set XDG_CACHE_HOME or ` +
      `TMPDIR to a writable directory, or use threads: 1`,
  );
}

function existsFile(file: URL): boolean {
  try {
    return Deno.statSync(file).isFile;
  } catch {
    return false;
  }
}
