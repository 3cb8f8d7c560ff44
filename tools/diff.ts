/**
 * `deno task diff [REV]`: a Markdown report of what a change did to the pipeline's results, for a pull request:
 * params changed, metrics changed (a curated subset with old/new/delta, plus a count of the others), claim
 * verdicts changed (`outputs/report/verdicts.json`), and outputs whose digest changed (the two
 * `pipeline.lock`s). Compares the workspace with REV.
 *
 * REV defaults to the merge base of HEAD with the pull request's target or the default branch
 * (pipeline/git.ts `mergeBaseWithDefaultBranch`): on a feature branch, what the branch changed; on the default
 * branch itself that is HEAD (what the uncommitted work changed). In CI (`CI` set), when it is HEAD (a push to
 * the default branch, or CI without a remote), the previous commit HEAD~1 is used instead, so CI compares with
 * the state before the change; in a repository with a single commit, HEAD.
 *
 * Params and metrics come from the runner's own commands (`pipeline/cli.ts params diff REV --json`, `metrics
 * diff REV --json`); files of REV come from git, or, for outputs the runner caches, from the cache through
 * REV's lock. Run: `deno run -A tools/diff.ts [REV] [-C DIR] [--max-metrics N]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { ObjectCache } from "../pipeline/cache.ts";
import { gitShow, mergeBaseWithDefaultBranch, revExists } from "../pipeline/git.ts";
import { type Lock, LOCK_FILE, parseLock } from "../pipeline/lock.ts";
import type { MetricChange } from "../pipeline/metrics.ts";

/** Where the aggregate stage writes its verdicts. */
export const VERDICTS_FILE = "outputs/report/verdicts.json";

/** Metrics shown in full (dotted keys of the stages' metrics files); other changed metrics are counted. */
const CURATED: readonly RegExp[] = [
  /^test\.(acc|mean_si)$/,
  /^network_mean_si$/,
  /^mean_corrupted_accuracy$/,
  /^benchmark\.(ratio|drop)$/,
  /^clean_accuracy$/,
  /^(attacks\.[^.]+|worst_case\.[^.]+)\.auc$/,
  /^network\.cv_across_(samples|units)$/,
];

async function git(root: string, args: string[]): Promise<string | undefined> {
  const r = await new Deno.Command("git", { args, cwd: root, stdout: "piped", stderr: "null" }).output();
  return r.success ? new TextDecoder().decode(r.stdout).trim() : undefined;
}

/**
 * The revision to compare with (see the module doc): `given`, else the merge base with the default branch,
 * replaced by HEAD~1 in CI when it is HEAD's own commit.
 */
export async function resolveBaseRev(root: string, given?: string): Promise<string> {
  if (given !== undefined) {
    if (!(await revExists(root, given))) throw new Error(`diff: '${given}' is not a git revision in ${root}`);
    return given;
  }
  const base = await mergeBaseWithDefaultBranch(root);
  if (!Deno.env.get("CI")) return base;
  const [baseSha, head] = [await git(root, ["rev-parse", base]), await git(root, ["rev-parse", "HEAD"])];
  if (baseSha === head && (await revExists(root, "HEAD~1"))) return "HEAD~1";
  return base;
}

/** Every recorded out of a lock: path → digest. */
function outDigests(lock: Lock): Map<string, { stage: string; digest: string }> {
  const out = new Map<string, { stage: string; digest: string }>();
  for (const [stage, entry] of Object.entries(lock)) {
    for (const [path, d] of Object.entries(entry.outs)) out.set(path, { stage, digest: d.digest });
  }
  return out;
}

/** An out whose digest differs between two locks (`old`/`new` undefined: added or removed). */
export interface OutputChange {
  stage: string;
  path: string;
  old?: string;
  new?: string;
}

/**
 * Outs that were added, removed or changed digest between two locks, sorted by path.
 *
 * @example
 * ```ts
 * outputChanges(oldLock, newLock); // [{ stage: "train@a0-s1", path: "outputs/models/a0-s1", old: "ab…", new: "cd…" }]
 * ```
 */
export function outputChanges(oldLock: Lock, newLock: Lock): OutputChange[] {
  const a = outDigests(oldLock), b = outDigests(newLock);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths.flatMap((path) => {
    const o = a.get(path), n = b.get(path);
    if (o?.digest === n?.digest) return [];
    return [{ stage: (n ?? o)!.stage, path, old: o?.digest, new: n?.digest }];
  });
}

/**
 * The text of `path` at `rev`: from git if tracked there, else from the runner's cache through the out of
 * REV's lock that holds it (the file itself or a directory above it); undefined if neither has it.
 */
export async function fileAtRevision(root: string, rev: string, path: string): Promise<string | undefined> {
  const tracked = await gitShow(root, rev, path);
  if (tracked !== undefined) return tracked;
  const lockText = await gitShow(root, rev, LOCK_FILE);
  if (lockText === undefined) return undefined;
  const cache = new ObjectCache(`${root}/.pipeline/cache`);
  for (const entry of Object.values(parseLock(lockText, `${rev}:${LOCK_FILE}`))) {
    for (const [out, d] of Object.entries(entry.outs)) {
      const found = out === path
        ? d
        : path.startsWith(`${out}/`)
        ? cache.digestInside(d, path.slice(out.length + 1))
        : undefined;
      if (found && cache.has(found.digest)) return await Deno.readTextFile(cache.objectPath(found.digest));
    }
  }
  return undefined;
}

/** One claim's verdict as in verdicts.json. */
export interface VerdictEntry {
  id: string;
  claim?: string;
  verdict: string;
  estimate?: number | null;
}

/** A claim whose verdict differs (`old`/`new` undefined: the claim was not in that file). */
export interface VerdictChange {
  id: string;
  claim: string;
  old?: VerdictEntry;
  new?: VerdictEntry;
}

/**
 * Claims whose verdict changed between two verdicts files, in the new file's order, then removed claims.
 *
 * @example
 * ```ts
 * verdictChanges([{ id: "5", verdict: "inconclusive at this scale" }], [{ id: "5", verdict: "reproduced" }]);
 * // [{ id: "5", claim: "", old: {…}, new: {…} }]
 * ```
 */
export function verdictChanges(old: readonly VerdictEntry[], now: readonly VerdictEntry[]): VerdictChange[] {
  const byId = (xs: readonly VerdictEntry[]) => new Map(xs.map((v) => [v.id, v]));
  const a = byId(old), b = byId(now);
  const ids = [...new Set([...now.map((v) => v.id), ...old.map((v) => v.id)])];
  return ids.flatMap((id) => {
    const o = a.get(id), n = b.get(id);
    if (o?.verdict === n?.verdict) return [];
    return [{ id, claim: (n ?? o)!.claim ?? "", old: o, new: n }];
  });
}

function parseVerdicts(text: string | undefined, source: string): VerdictEntry[] | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`diff: ${source} is not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(v) || !v.every((e) => typeof e?.id === "string" && typeof e?.verdict === "string")) {
    throw new Error(`diff: ${source} is not a list of {id, verdict} entries`);
  }
  return v as VerdictEntry[];
}

/** Everything the report shows. */
export interface DiffData {
  rev: string;
  params: Record<string, { old?: unknown; new?: unknown }>;
  metrics: MetricChange[];
  /** undefined: no verdicts file on that side. */
  verdicts: { old?: VerdictEntry[]; new?: VerdictEntry[] };
  outputs: OutputChange[];
}

const cellText = (v: unknown): string =>
  v === undefined ? "—" : typeof v === "number" ? String(Number(v.toPrecision(4))) : JSON.stringify(v);
const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const table = (head: string[], rows: string[][]) =>
  [head, head.map(() => "---"), ...rows].map((r) => `| ${r.map(esc).join(" | ")} |`).join("\n");
const short = (d?: string) => (d === undefined ? "—" : d.slice(0, 12));

/**
 * The Markdown report: one section per kind of change, each saying "none" when nothing changed. Metrics:
 * the curated keys in full (up to `maxMetrics` rows), the others counted.
 */
export function renderDiffReport(d: DiffData, maxMetrics = 40): string {
  const out = [`## Pipeline changes since \`${d.rev}\``, ""];
  const params = Object.entries(d.params);
  out.push(`### Params (${params.length} changed)`, "");
  out.push(
    params.length
      ? table(["param", "old", "new"], params.map(([k, v]) => [k, cellText(v.old), cellText(v.new)]))
      : "No params changed.",
    "",
  );
  const curated = d.metrics.filter((m) => CURATED.some((re) => re.test(m.key)));
  const shown = curated.slice(0, maxMetrics);
  const others = d.metrics.length - shown.length;
  out.push(`### Metrics (${d.metrics.length} changed)`, "");
  if (shown.length) {
    out.push(
      table(
        ["file", "metric", "old", "new", "Δ"],
        shown.map((m) => [m.path, m.key, cellText(m.old), cellText(m.new), cellText(m.delta)]),
      ),
      "",
    );
  }
  if (others > 0) {
    out.push(`${others} other metrics changed: \`deno task metrics diff ${d.rev} --md\` lists them.`, "");
  } else if (d.metrics.length === 0) out.push("No metrics changed.", "");
  out.push("### Claim verdicts", "");
  if (d.verdicts.new === undefined && d.verdicts.old === undefined) {
    out.push(`No ${VERDICTS_FILE} on either side.`, "");
  } else {
    const changes = verdictChanges(d.verdicts.old ?? [], d.verdicts.new ?? []);
    const side = d.verdicts.old === undefined
      ? ` (none at ${d.rev})`
      : d.verdicts.new === undefined
      ? " (none in the workspace)"
      : "";
    out.push(
      changes.length
        ? table(
          ["claim", "old", "new", "estimate old → new"],
          changes.map((c) => [
            `${c.id}: ${c.claim}`,
            c.old?.verdict ?? "—",
            c.new?.verdict ?? "—",
            `${cellText(c.old?.estimate ?? undefined)} → ${cellText(c.new?.estimate ?? undefined)}`,
          ]),
        ) + side
        : `No verdict changed${side}.`,
      "",
    );
  }
  out.push(`### Outputs with a new digest (${d.outputs.length})`, "");
  out.push(
    d.outputs.length
      ? table(
        ["stage", "output", "old", "new"],
        d.outputs.map((o) => [o.stage, o.path, short(o.old), short(o.new)]),
      )
      : "No output changed.",
    "",
  );
  return out.join("\n");
}

async function runnerJson(root: string, args: string[]): Promise<unknown> {
  const cli = new URL("../pipeline/cli.ts", import.meta.url).pathname;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, "-C", root, ...args, "--json"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!r.success) throw new Error(`diff: pipeline ${args.join(" ")} failed: ${dec.decode(r.stderr).trim()}`);
  return JSON.parse(dec.decode(r.stdout));
}

/** Collects the data of the report for the workspace in `root` against `rev`. */
export async function collectDiff(root: string, rev: string): Promise<DiffData> {
  const oldLockText = await gitShow(root, rev, LOCK_FILE);
  const newLockText = await Deno.readTextFile(`${root}/${LOCK_FILE}`).catch(() => undefined);
  const oldLock = oldLockText ? parseLock(oldLockText, `${rev}:${LOCK_FILE}`) : {};
  const newLock = newLockText ? parseLock(newLockText, LOCK_FILE) : {};
  const nowVerdicts = await Deno.readTextFile(`${root}/${VERDICTS_FILE}`).catch(() => undefined);
  return {
    rev,
    params: (await runnerJson(root, ["params", "diff", rev])) as DiffData["params"],
    metrics: (await runnerJson(root, ["metrics", "diff", rev, "--all"])) as MetricChange[],
    verdicts: {
      old: parseVerdicts(await fileAtRevision(root, rev, VERDICTS_FILE), `${rev}:${VERDICTS_FILE}`),
      new: parseVerdicts(nowVerdicts, VERDICTS_FILE),
    },
    outputs: outputChanges(oldLock, newLock),
  };
}

if (import.meta.main) {
  try {
    const { values, positionals } = parseArgs({
      args: Deno.args,
      options: { C: { type: "string", short: "C" }, "max-metrics": { type: "string", default: "40" } },
      allowPositionals: true,
    });
    const root = resolve(values.C ?? Deno.cwd());
    const max = Number(values["max-metrics"]);
    if (!Number.isInteger(max) || max < 0) throw new Error(`diff: --max-metrics must be an integer ≥ 0`);
    const rev = await resolveBaseRev(root, positionals[0]);
    console.log(renderDiffReport(await collectDiff(root, rev), max));
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(1);
  }
}
