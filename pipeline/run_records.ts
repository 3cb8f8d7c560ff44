/**
 * Per-run records: what the runner and the stage knew about one run of a stage's command that is not part of
 * its result (start time, wall time, exit code, peak memory, host, and the stage's own facts: backend, device,
 * seconds, throughput). Results must be byte-identical between reruns, so these facts live here, beside the
 * logs, never in an output: `.pipeline/runs/<stage>/<stamp>.json`, one file per run, named like its log.
 *
 * A stage writes its facts to the file named in `PIPELINE_RUN_RECORD` (stages/support/run_facts.ts); the runner
 * folds them into the record when the command ends. `metrics show --runs` prints the records.
 *
 * @example
 * ```ts
 * const records = await readRunRecords(".pipeline", { stages: ["train@0-1"], last: 1 });
 * console.log(renderRunRecords(records));
 * ```
 *
 * @module
 */
import { writeFileAtomic } from "./atomic.ts";

/** Environment variable naming the file a stage writes its own run facts to. */
export const RUN_RECORD_ENV = "PIPELINE_RUN_RECORD";

/** One run of a stage's command. */
export interface RunRecord {
  readonly stage: string;
  /** The stage key the run was for. */
  readonly key: string;
  /** ISO 8601 start time. */
  readonly started: string;
  readonly wall_seconds: number;
  readonly exit_code: number;
  readonly signal?: string;
  /** Peak resident memory of the command's processes, sampled (pipeline/rss.ts). */
  readonly max_rss_kb?: number;
  readonly host: string;
  /** The run's log, relative to the project root. */
  readonly log: string;
  /** What the stage itself recorded; absent when it recorded nothing. */
  readonly facts?: Record<string, unknown>;
  /** Why the stage's facts file could not be read. */
  readonly facts_error?: string;
}

const FIELDS: Record<keyof RunRecord, (v: unknown) => boolean> = {
  stage: (v) => typeof v === "string",
  key: (v) => typeof v === "string",
  started: (v) => typeof v === "string",
  wall_seconds: (v) => typeof v === "number",
  exit_code: (v) => Number.isInteger(v),
  signal: (v) => v === undefined || typeof v === "string",
  max_rss_kb: (v) => v === undefined || typeof v === "number",
  host: (v) => typeof v === "string",
  log: (v) => typeof v === "string",
  facts: (v) => v === undefined || (v !== null && typeof v === "object" && !Array.isArray(v)),
  facts_error: (v) => v === undefined || typeof v === "string",
};

/** Check a parsed record; throws naming the first bad field. */
export function parseRunRecord(value: unknown): RunRecord {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error("not a JSON object");
  }
  for (const [field, ok] of Object.entries(FIELDS)) {
    if (!ok((value as Record<string, unknown>)[field])) {
      throw new Error(`field '${field}' is missing or has the wrong type`);
    }
  }
  return value as RunRecord;
}

/** Where one run's record and the stage's facts go, named after the run's start `stamp`. */
export function runRecordPaths(pipelineDir: string, stage: string, stamp: string) {
  const dir = `${pipelineDir}/runs/${encodeURIComponent(stage)}`;
  return { dir, record: `${dir}/${stamp}.json`, facts: `${dir}/${stamp}.facts.json` };
}

/**
 * Write the record of a finished run: the runner's `base` facts plus the stage's own facts file (which is
 * then removed). A missing facts file is fine (the stage recorded nothing); an unreadable one is noted.
 */
export async function finishRunRecord(
  paths: { record: string; facts: string },
  base: Omit<RunRecord, "facts" | "facts_error">,
): Promise<RunRecord> {
  let facts: Record<string, unknown> | undefined;
  let factsError: string | undefined;
  try {
    const parsed = JSON.parse(await Deno.readTextFile(paths.facts));
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      factsError = `${paths.facts} is not a JSON object`;
    } else facts = parsed;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) factsError = `${paths.facts}: ${(e as Error).message}`;
  }
  const record: RunRecord = {
    ...base,
    ...(facts ? { facts } : {}),
    ...(factsError ? { facts_error: factsError } : {}),
  };
  await writeFileAtomic(paths.record, JSON.stringify(record, null, 2) + "\n");
  await Deno.remove(paths.facts).catch(() => {});
  return record;
}

/** What {@link readRunRecords} returns. */
export interface ReadOptions {
  /** Only these stages (exact names, or group names such as `train` for `train@…`); all when empty. */
  readonly stages?: readonly string[];
  /** Only the newest `last` runs of each stage. */
  readonly last?: number;
}

/**
 * The run records under `pipelineDir`, newest first. A record that does not parse is skipped with a warning
 * through `warn` naming the file.
 */
export async function readRunRecords(
  pipelineDir: string,
  opts: ReadOptions = {},
  warn: (message: string) => void = console.error,
): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  const wanted = (stage: string) =>
    !opts.stages?.length || opts.stages.some((s) => s === stage || stage.startsWith(`${s}@`));
  let dirs: Deno.DirEntry[];
  try {
    dirs = [...Deno.readDirSync(`${pipelineDir}/runs`)];
  } catch {
    return [];
  }
  for (const d of dirs) {
    if (!d.isDirectory || !wanted(decodeURIComponent(d.name))) continue;
    const files = [...Deno.readDirSync(`${pipelineDir}/runs/${d.name}`)]
      .map((f) => f.name)
      .filter((n) => n.endsWith(".json") && !n.endsWith(".facts.json"))
      .sort()
      .reverse()
      .slice(0, opts.last ?? Infinity);
    for (const name of files) {
      const path = `${pipelineDir}/runs/${d.name}/${name}`;
      try {
        out.push(parseRunRecord(JSON.parse(await Deno.readTextFile(path))));
      } catch (e) {
        warn(`warning: skipping run record ${path}: ${(e as Error).message.split("\n")[0]}`);
      }
    }
  }
  return out.sort((a, b) => b.started.localeCompare(a.started) || a.stage.localeCompare(b.stage));
}

/**
 * The records as a table: stage, start, wall time, exit code, peak memory, host, and the stage's facts flattened
 * to `key=value` (numbers rounded to 4 significant digits, long arrays summarised).
 */
export function renderRunRecords(records: readonly RunRecord[]): string {
  if (records.length === 0) return "No run records yet (they are written by `repro` when a stage runs).";
  const rows = records.map((r) => [
    r.stage,
    r.started.replace("T", " ").replace(/\.\d+Z$/, "Z"),
    `${r.wall_seconds.toFixed(1)}s`,
    r.signal ? `${r.exit_code} (${r.signal})` : String(r.exit_code),
    r.max_rss_kb === undefined ? "-" : `${(r.max_rss_kb / 1024).toFixed(0)} MiB`,
    r.host,
    r.facts_error ? `(${r.facts_error})` : factsText(r.facts ?? {}),
  ]);
  const head = ["Stage", "Started", "Wall", "Exit", "Peak RSS", "Host", "Stage facts"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => i === 6 ? 0 : r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => i === 6 ? c : c.padEnd(widths[i])).join("  ");
  return [line(head), ...rows.map(line)].join("\n");
}

function factsText(facts: Record<string, unknown>, prefix = ""): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(facts)) {
    const key = prefix + k;
    if (typeof v === "number") parts.push(`${key}=${Number.isInteger(v) ? v : +v.toPrecision(4)}`);
    else if (Array.isArray(v)) {
      const short = v.length <= 4 && v.every((x) => typeof x !== "object");
      parts.push(
        short
          ? `${key}=[${v.map((x) => typeof x === "number" ? +x.toPrecision(4) : x).join(",")}]`
          : `${key}=[${v.length} items]`,
      );
    } else if (v !== null && typeof v === "object") {
      const inner = factsText(v as Record<string, unknown>, `${key}.`);
      if (inner) parts.push(inner);
    } else if (v !== null && v !== undefined) parts.push(`${key}=${v}`);
  }
  return parts.join(" ");
}
