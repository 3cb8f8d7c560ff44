/**
 * Volatile facts of one stage run (seconds, throughput, backend and device, resumed checkpoints): they describe
 * how a result was obtained, not the result, so they never go into an output. A stage hands them to the runner,
 * which keeps them in a per-run record beside the logs (`.pipeline/runs/<stage>/<stamp>.json`, read with
 * `metrics show --runs`; pipeline/run_records.ts).
 *
 * The runner names the file in `PIPELINE_RUN_RECORD`. Run by hand, without it, the facts are dropped (the stage
 * still prints them on its log).
 *
 * @example
 * ```ts
 * await recordRunFacts({ wall_seconds: 12.5, backend: { name: "wasm", device: "…", threads: 2 } });
 * ```
 *
 * @module
 */

/** Environment variable through which the runner names the file a stage writes its run facts to. */
export const RUN_RECORD_ENV = "PIPELINE_RUN_RECORD";

/**
 * Merge `facts` into the run's facts file (top-level keys of a later call replace earlier ones), atomically.
 * Returns the path written, or undefined when no runner asked for facts.
 */
export async function recordRunFacts(
  facts: Record<string, unknown>,
  env: { get(key: string): string | undefined } = Deno.env,
): Promise<string | undefined> {
  const path = env.get(RUN_RECORD_ENV);
  if (!path) return undefined;
  let before: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(await Deno.readTextFile(path));
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) before = parsed;
  } catch { /* first call, or a torn file: start over */ }
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify({ ...before, ...facts }, null, 2) + "\n");
  await Deno.rename(tmp, path);
  return path;
}

/**
 * `count` items per second of `seconds`, to 0.1; null when no time was measured. The evaluation stages record
 * their images per second with it (`images_per_sec`), the throughput to compare across backends.
 *
 * @example
 * perSecond(1000, 4) // 250
 */
export function perSecond(count: number, seconds: number): number | null {
  return seconds > 0 ? Math.round((count / seconds) * 10) / 10 : null;
}

/** Backend facts of a stage run, in the shape every stage records. */
export function backendFacts(
  info: { backend: string; device: string; threads: number | null; tfjsVersion?: string },
) {
  return {
    backend: {
      name: info.backend,
      device: info.device,
      threads: info.threads,
      ...(info.tfjsVersion ? { tfjs: info.tfjsVersion } : {}),
    },
  };
}
