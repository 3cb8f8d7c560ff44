/**
 * Stage `aggregate`: gathers the per-network metrics of every other stage into one table (a row per trained
 * network), summarises it per α (mean and 95 % CI over seeds), checks the paper's headline claims across
 * networks (lib/report/claims.ts; seeds pooled, one observation per network), draws the figures and writes the
 * report.
 *
 * Run: `deno run -A stages/aggregate.ts [--models DIR] [--selectivity DIR] [--gradients DIR]
 * [--dimensionality DIR] [--corruption DIR] [--corruption-examples DIR] [--attack DIR] [--out DIR]`
 * (defaults: `outputs/<name>`, `outputs/corruption-examples`, out `outputs/report`). Params (section
 * `aggregate`, all optional): `seed` (resampling, default 0), `resamples` (bootstrap, 10000), `permutations`
 * (10000), `level` (0.95), `max_examples` (corruption example images per shown network, 4), `significance`
 * (family-wise level of the verdicts, 0.05) and `min_networks` (10): the verdict rule of docs/method.md §10.
 *
 * Reads, for every run `a{A}-s{S}` of the grid (params `grid.alpha` × `grid.seeds`; without a grid, every run
 * found; files of runs outside the grid, left by an earlier grid, are ignored with a note):
 * `{models}/a{A}-s{S}.metrics.json` (train), and `a{A}-s{S}.json` in
 * `{selectivity}`, `{gradients}`, `{dimensionality}`, `{corruption}`, `{attack}`; example images from
 * `{corruption-examples}/a{A}-s{S}/*.png` and `{attack}/a{A}-s{S}.png` of the lowest and highest α. A missing
 * directory or file is a note in the report, and a claim without its metrics is "unchecked"; a file that is not
 * valid JSON or lacks a field its reader needs is an error naming the file and field.
 *
 * Writes to `{out}`: `table.csv` and `table.json` (one row per network, every metric), `per_alpha.csv` and
 * `per_alpha.json`, `verdicts.json`, `plots/*.svg`, `index.html` (self-contained), `summary.md` and `verdicts.txt`
 * (the verdict table and the report's path, which the runner prints after `repro`).
 *
 * To add a stage's metrics: write a reader in lib/report/readers.ts and add it to {@link sources}; to add a
 * claim: a line in CLAIMS (lib/report/claims.ts).
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { stageParams } from "./support/params.ts";
import { runStage, stageEntry } from "./support/entry.ts";
import { parseStageArgs } from "./support/stage_command.ts";
import { fillMissing, mergeRecords, type NetworkRecord } from "../lib/report/records.ts";
import {
  type MetricsReader,
  readAttackMetrics,
  readCorruptionMetrics,
  readDimensionalityMetrics,
  readGradientMetrics,
  readSelectivityMetrics,
  readTrainMetrics,
} from "../lib/report/readers.ts";
import { checkClaims, CLAIMS, ruleText, verdictsJson } from "../lib/report/claims.ts";
import {
  type MetricColumn,
  metricKeys,
  networkTable,
  perAlphaCsv,
  perAlphaSummary,
  perAlphaTable,
  recordsCsv,
} from "../lib/report/summary_table.ts";
import type { ClaimCheck, ExampleImage, ReportContent } from "../lib/report/content.ts";
import { type EpochPoint, methodFigures, reportFigures } from "../lib/report/figures.ts";
import { methodsTable } from "../lib/report/methods.ts";
import { sensitivityTable } from "../lib/report/sensitivity.ts";
import { provenanceTable, rankCeilingNote } from "../lib/report/provenance.ts";
import { columnLabel } from "../lib/report/labels.ts";
import { buildHtmlReport } from "../lib/report/html.ts";
import { buildMarkdownSummary } from "../lib/report/markdown.ts";
import { formatInterval, formatNumber } from "../lib/report/format.ts";
import { renderSvg } from "../lib/plots/render.ts";

/** Schema of the `aggregate` params. */
export const aggregateParamsSchema = z.strictObject({
  seed: z.number().int().default(0),
  resamples: z.number().int().min(100).default(10000),
  permutations: z.number().int().min(100).default(10000),
  level: z.number().gt(0).lt(1).default(0.95),
  max_examples: z.number().int().min(0).default(4),
  /** Family-wise level of the verdicts (Holm across the claims tested). */
  significance: z.number().gt(0).lt(1).default(0.05),
  /** Fewest networks a claim needs for a verdict other than "too few networks (n)". */
  min_networks: z.number().int().min(3).default(10),
});

/** The headline metrics of the per-α and per-network tables, in column order (those present are shown). */
const HEADLINE: readonly string[] = [
  "mean_si",
  "test_acc",
  "corrupted_acc",
  "corrupted_ratio",
  "adv_auc:worst-linf",
  "dim_clean_early",
  "dim_delta_corruption_early",
  "dim_delta_corruption_matched_early",
  "dim_delta_attack_early",
  "grad_cv_samples",
  "grad_cv_units",
];

const SEED_NOTE =
  "Seeds are pooled: every trained network (α, seed) is one observation in the claim checks, " +
  "and the bootstrap resamples networks. The per-α tables and curves show the mean and t interval over seeds.";

/**
 * Where this run is too small for a verdict: one note naming the claims with too few networks and what to add.
 *
 * @example
 * ```ts
 * scaleNotes(claims); // ["At this scale no verdict is possible for claims 10 (4 networks), 5w (0 networks): …"]
 * ```
 */
export function scaleNotes(claims: readonly ClaimCheck[]): string[] {
  const few = claims.filter((c) => c.verdict.startsWith("too few networks"));
  if (few.length === 0) return [];
  return [
    `At this scale no verdict is possible for claims ${
      few.map((c) => `${c.id} (${c.n} networks)`).join(", ")
    }: ` +
    "the rule needs aggregate.min_networks networks per claim (more seeds in grid.seeds for the α-grid and " +
    "within-α rows, in bidirectional.seeds for claim 10); their estimates are shown as effect sizes only.",
  ];
}

/** Command-line directories of the stage. */
export interface AggregateArgs {
  models: string;
  selectivity: string;
  gradients: string;
  dimensionality: string;
  corruption: string;
  "corruption-examples": string;
  attack: string;
  out: string;
}

/** Where each stage's per-network metrics live: `{dir}/{run}{suffix}`. */
const sources = (
  args: AggregateArgs,
): { stage: string; dir: string; suffix: string; read: MetricsReader }[] => [
  { stage: "train", dir: args.models, suffix: ".metrics.json", read: readTrainMetrics },
  { stage: "measure-selectivity", dir: args.selectivity, suffix: ".json", read: readSelectivityMetrics },
  { stage: "measure-gradients", dir: args.gradients, suffix: ".json", read: readGradientMetrics },
  {
    stage: "measure-dimensionality",
    dir: args.dimensionality,
    suffix: ".json",
    read: readDimensionalityMetrics,
  },
  { stage: "corrupt-eval", dir: args.corruption, suffix: ".json", read: readCorruptionMetrics },
  { stage: "attack-eval", dir: args.attack, suffix: ".json", read: readAttackMetrics },
];

async function listDir(dir: string): Promise<string[] | null> {
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    return names.sort();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/**
 * The runs of the grid (`grid.alpha` × `grid.seeds`, named as the per-network stages name them) and of the
 * robustness-training variants (`bidirectional.methods` × `bidirectional.seeds` at `bidirectional.alpha`, named
 * `a{α}-s{seed}-{method}`), or null when the params have no grid (then every run found is read).
 */
export function gridRuns(params: Record<string, unknown>): Set<string> | null {
  const grid = params.grid as { alpha?: unknown; seeds?: unknown } | undefined;
  if (!grid) return null;
  if (!Array.isArray(grid.alpha) || !Array.isArray(grid.seeds)) {
    throw new Error("params.yaml: grid.alpha and grid.seeds must be lists");
  }
  const runs = grid.alpha.flatMap((a) => (grid.seeds as unknown[]).map((s) => `a${a}-s${s}`));
  const b = params.bidirectional as { alpha?: unknown; seeds?: unknown; methods?: unknown } | undefined;
  if (b) {
    if (!Array.isArray(b.seeds) || !Array.isArray(b.methods)) {
      throw new Error("params.yaml: bidirectional.seeds and bidirectional.methods must be lists");
    }
    for (const m of b.methods) for (const s of b.seeds) runs.push(`a${b.alpha ?? 0}-s${s}-${m}`);
  }
  return new Set(runs);
}

/**
 * Reads every source (only the runs in `wanted`, when given: files of other runs, left by an earlier grid,
 * are noted and ignored); returns the merged records and notes on what was missing. Throws on a file that is
 * not valid JSON or fails its reader, naming the file.
 */
async function readRecords(
  args: AggregateArgs,
  wanted: Set<string> | null,
): Promise<{ records: NetworkRecord[]; notes: string[] }> {
  const entries: { run: string; values: Record<string, number> }[] = [];
  const notes: string[] = [];
  const runsOf = new Map<string, Set<string>>();
  const ignored = new Set<string>();
  for (const source of sources(args)) {
    const files = ((await listDir(source.dir)) ?? []).filter((n) => n.endsWith(source.suffix));
    if (files.length === 0) {
      notes.push(`${source.stage}: no *${source.suffix} files in ${source.dir}`);
      continue;
    }
    const runs = new Set<string>();
    for (const name of files) {
      const run = name.slice(0, -source.suffix.length);
      if (wanted && !wanted.has(run)) {
        ignored.add(run);
        continue;
      }
      const path = join(source.dir, name);
      let json: unknown;
      try {
        json = JSON.parse(await Deno.readTextFile(path));
      } catch (e) {
        throw new Error(`${path}: not valid JSON (${(e as Error).message}); rerun stage ${source.stage}`);
      }
      entries.push({ run, values: source.read(json, path) });
      runs.add(run);
    }
    runsOf.set(source.stage, runs);
  }
  if (ignored.size > 0) {
    notes.push(
      `ignored, not in grid.alpha × grid.seeds (outputs of an earlier grid): ${
        [...ignored].sort().join(", ")
      }`,
    );
  }
  const { records, skipped } = mergeRecords(entries);
  for (const run of new Set(skipped)) {
    notes.push(`${run}: not a run name of the form a{alpha}-s{seed}; skipped`);
  }
  for (const [stage, runs] of runsOf) {
    const lacking = records.filter((r) => !runs.has(r.run)).map((r) => r.run);
    if (lacking.length > 0) notes.push(`${stage}: no output for ${lacking.join(", ")}`);
  }
  const filled = fillMissing(records, "mean_si", "train_mean_si");
  if (filled.length > 0) {
    notes.push(`μ_SI from the train stage (no measure-selectivity output) for ${filled.join(", ")}`);
  }
  return { records, notes };
}

const curveSchema = z.array(
  z.object({ epoch: z.number(), loss: z.number(), val_acc: z.number().optional() }),
);

/** The training curves `{models}/{run}.curves.json` of the records (a missing file is left out). */
async function readCurves(
  dir: string,
  records: readonly NetworkRecord[],
): Promise<Map<string, EpochPoint[]>> {
  const out = new Map<string, EpochPoint[]>();
  for (const r of records) {
    const path = join(dir, `${r.run}.curves.json`);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      throw e;
    }
    const parsed = curveSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new Error(
        `${path}: ${i.path.map(String).join(".") || "(top level)"}: ${i.message}; rerun stage train`,
      );
    }
    out.set(r.run, parsed.data);
  }
  return out;
}

async function readPng(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Example images of the lowest and highest α (first seed): the attack grid, then corruption images. */
async function examples(
  args: AggregateArgs,
  records: readonly NetworkRecord[],
  max: number,
): Promise<ExampleImage[]> {
  const shown = [...new Set([records[0], records.find((r) => r.alpha === records.at(-1)?.alpha)])]
    .filter((r): r is NetworkRecord => r !== undefined);
  const out: ExampleImage[] = [];
  for (const r of shown) {
    const attack = await readPng(join(args.attack, `${r.run}.png`));
    if (attack) {
      out.push({ png: attack, caption: `${r.run} adversarial: clean | each attack at its largest ε` });
    }
    const dir = join(args["corruption-examples"], r.run);
    const names = ((await listDir(dir)) ?? []).filter((n) => n.endsWith(".png")).slice(0, max);
    for (const name of names) {
      out.push({
        png: await Deno.readFile(join(dir, name)),
        caption: `${r.run} ${name.slice(0, -4)}: clean, then severities`,
      });
    }
  }
  return out;
}

function title(params: Record<string, unknown>, n: number): string {
  const name = (section: string) => {
    const v = (params[section] as { name?: unknown } | undefined)?.name;
    return typeof v === "string" ? v : undefined;
  };
  const what = [name("model"), name("data")].filter(Boolean).join(" / ");
  return `Selectivity and robustness${what ? `: ${what}` : ""}, ${n} networks`;
}

/** Builds and writes the report; returns its content and the claim checks (all claims, checked or not). */
export async function aggregate(
  args: AggregateArgs,
  params: Record<string, unknown>,
): Promise<ReportContent> {
  const parsed = aggregateParamsSchema.safeParse(params.aggregate ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`params.yaml: aggregate.${issue.path.join(".")}: ${issue.message}`);
  }
  const p = parsed.data;
  const { records: all, notes } = await readRecords(args, gridRuns(params));
  // The regularizer's grid: every table, figure and claim but the bidirectional one.
  const records = all.filter((r) => r.method === "standard");
  const methodsAlpha = Number((params.bidirectional as { alpha?: number } | undefined)?.alpha ?? 0);
  const results = checkClaims(all, CLAIMS, {
    methodsAlpha,
    seed: p.seed,
    resamples: p.resamples,
    permutations: p.permutations,
    level: p.level,
    rule: { alpha: p.significance, minNetworks: p.min_networks },
  });
  const figures = [];
  await Deno.mkdir(join(args.out, "plots"), { recursive: true });
  const figureSpecs = [
    ...reportFigures(records, results, p.level, await readCurves(args.models, records)),
    ...methodFigures(all, methodsAlpha, p.level),
  ];
  for (const f of figureSpecs) {
    const svg = await renderSvg(f.spec);
    await Deno.writeTextFile(join(args.out, "plots", `${f.name}.svg`), svg);
    figures.push({ svg, caption: f.caption });
  }
  const headline: MetricColumn[] = HEADLINE.filter((k) => records.some((r) => k in r.values))
    .map((key) => ({ key, label: columnLabel(key) }));
  const summary = perAlphaSummary(records, metricKeys(records), p.level);
  const sensitivity = sensitivityTable(records, {
    seed: p.seed,
    permutations: Math.min(p.permutations, 2000),
  });
  const ceiling = rankCeilingNote(records);
  const content: ReportContent = {
    title: title(params, records.length),
    params,
    summary: perAlphaTable(records, headline, p.level),
    networks: networkTable(records, headline),
    claims: results.map((r) => r.check),
    rule: ruleText(
      { alpha: p.significance, minNetworks: p.min_networks },
      results.find((r) => r.check.family !== undefined)?.check.family ?? 0,
    ),
    sensitivity: {
      columns: ["claim", "choice", "expected", "estimate", "p (raw)", "n", "sign agrees"],
      rows: sensitivity.map((r) => [
        r.claim,
        r.choice,
        r.expectedSign > 0 ? "positive" : "negative",
        r.estimate,
        r.p,
        r.n,
        r.agrees === null ? "undefined" : r.agrees ? "yes" : "no",
      ]),
      keyColumns: 2,
    },
    provenance: provenanceTable(params, records),
    methods: methodsTable(all, methodsAlpha, p.level),
    figures,
    examples: await examples(args, records, p.max_examples),
    notes: [SEED_NOTE, ...(ceiling ? [ceiling] : []), ...scaleNotes(results.map((r) => r.check)), ...notes],
  };
  const write = (name: string, text: string) => Deno.writeTextFile(join(args.out, name), text);
  const json = (v: unknown) =>
    JSON.stringify(v, (_, x) => (typeof x === "number" && !Number.isFinite(x) ? null : x), 2) + "\n";
  await write("table.csv", recordsCsv(all));
  await write("table.json", json(all));
  await write("per_alpha.csv", perAlphaCsv(summary));
  await write("per_alpha.json", json(summary));
  await write("verdicts.json", verdictsJson(results));
  await write("sensitivity.json", json(sensitivity));
  await write("index.html", buildHtmlReport(content));
  await write("summary.md", buildMarkdownSummary(content));
  await write("verdicts.txt", terminalSummary(content, args.out));
  return content;
}

/** Parses the command line of the stage (`--help` lists the directories and their defaults). */
export function parseAggregateArgs(argv: string[]): AggregateArgs {
  const dirs: [keyof AggregateArgs, string, string][] = [
    ["models", "outputs/models", "train's models and per-network metrics"],
    ["selectivity", "outputs/selectivity", "measure-selectivity's results"],
    ["gradients", "outputs/gradients", "measure-gradients' results"],
    ["dimensionality", "outputs/dimensionality", "measure-dimensionality's results"],
    ["corruption", "outputs/corruption", "corrupt-eval's results"],
    ["corruption-examples", "outputs/corruption-examples", "corrupt-eval's example images"],
    ["attack", "outputs/attack", "attack-eval's results"],
    ["out", "outputs/report", "where the report goes"],
  ];
  return parseStageArgs(
    "aggregate",
    "per-network table, per-alpha summary, claim verdicts and figures; params from the runner (or params.yaml)",
    dirs.map(([name, dflt, description]) => ({ name, description, default: dflt })),
    argv,
  ) as unknown as AggregateArgs;
}

/** The verdicts as a small fixed-width text table for the terminal. */
export function verdictTable(claims: readonly ClaimCheck[]): string {
  const rows = [
    ["claim", "verdict", "estimate", "CI", "p", "p_holm", "n"],
    ...claims.map((c) => [
      c.id,
      c.verdict,
      formatNumber(c.estimate, 3),
      formatInterval(c.lo, c.hi),
      formatNumber(c.p ?? NaN, 3),
      formatNumber(c.pAdjusted ?? NaN, 3),
      String(c.n),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

/**
 * What `repro` prints after the run (pipeline.yaml declares `summary: outputs/report/verdicts.txt`): the verdict
 * table and where the report is. Deterministic: no dates or timings.
 */
export function terminalSummary(content: ReportContent, out: string): string {
  return `${content.title}\n\n${verdictTable(content.claims)}\n\nReport: ${join(out, "index.html")} ` +
    `(also summary.md, table.csv, verdicts.json)\n`;
}

/** The stage's entry point (stages/support/entry.ts): argv in, exit code out. */
export const main = stageEntry(async (argv) => {
  const args = parseAggregateArgs(argv);
  const content = await aggregate(args, stageParams());
  console.log(verdictTable(content.claims));
  for (const c of content.claims.filter((c) => c.note)) console.log(`aggregate: claim ${c.id}: ${c.note}`);
  for (const n of content.notes.slice(1)) console.log(`aggregate: note: ${n}`);
  console.log(
    `aggregate: ${content.networks.rows.length} networks, ${content.figures.length} figures -> ` +
      `${join(args.out, "index.html")} (and summary.md, table.csv, verdicts.json)`,
  );
});

if (import.meta.main) await runStage(main);
