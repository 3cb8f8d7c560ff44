/**
 * Prints one line per output recorded in a pipeline.lock, `<stage> <path> <digest>`, sorted, so that two runs'
 * results compare with `diff` (bench/gpu/pipeline_ab.sh compares the variants of one call this way).
 *
 * Run: `deno run -A bench/gpu/lock_digests.ts [pipeline.lock]`.
 *
 * @module
 */
import { parse } from "yaml";

/** `<stage> <path> <digest>` for every out of the lock text `text`, sorted. */
export function lockDigests(text: string): string[] {
  const lock = parse(text) as { stages?: Record<string, { outs?: Record<string, { digest: string }> }> };
  const lines: string[] = [];
  for (const [stage, entry] of Object.entries(lock.stages ?? {})) {
    for (const [path, out] of Object.entries(entry.outs ?? {})) lines.push(`${stage} ${path} ${out.digest}`);
  }
  return lines.sort();
}

if (import.meta.main) {
  const path = Deno.args[0] ?? "pipeline.lock";
  console.log(lockDigests(await Deno.readTextFile(path)).join("\n"));
}
