/**
 * Stage `aggregate` (first version): gathers the per-network metrics of the other stages, summarises them per
 * α, checks the paper's headline claims across networks, and writes the report.
 *
 * Run: `deno run -A stages/aggregate.ts [--models DIR] [--corruption DIR] [--examples DIR] [--out DIR]`.
 * Params (section `aggregate`, all optional): `seed` (resampling, default 0), `resamples` (bootstrap, 10000),
 * `permutations` (10000), `level` (0.95), `max_examples` (example images shown, 8).
 *
 * Reads whatever exists (a missing input is a note in the report, not an error):
 * - `{models}/a{A}-s{S}.metrics.json` (train; default outputs/models): test accuracy, μ_SI;
 * - `{corruption}/a{A}-s{S}.json` (corrupt-eval; default outputs/corruption): corrupted accuracy, clean-controlled;
 * - `{examples}/a{A}-s{S}/*.png` (default outputs/corruption-examples): a few example images.
 *
 * Writes to `{out}` (default outputs/report): `table.csv` (one row per network), `verdicts.json`,
 * `plots/*.svg`, `index.html` (self-contained) and `summary.md`.
 *
 * To add a stage's metrics: write a reader in lib/report/records.ts and add a line to {@link SOURCES}.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { stageParams } from "./support/params.ts";
import { summarizeGroups } from "../lib/stats/confidence.ts";
import {
  mergeRecords,
  type MetricsReader,
  type NetworkRecord,
  readCorruptionMetrics,
  readTrainMetrics,
} from "../lib/report/records.ts";
import { checkClaims, type ClaimResult, CLAIMS } from "../lib/report/claims.ts";
import { type MetricColumn, perAlphaTable } from "../lib/report/summary_table.ts";
import type { ExampleImage, Figure, ReportContent } from "../lib/report/content.ts";
import { buildHtmlReport } from "../lib/report/html.ts";
import { buildMarkdownSummary } from "../lib/report/markdown.ts";
import { formatInterval, formatNumber } from "../lib/report/format.ts";
import { lineWithBands, scatterWithFit } from "../lib/plots/specs.ts";
import { renderSvg } from "../lib/plots/render.ts";

const aggregateParamsSchema = z.object({
  seed: z.number().int().default(0),
  resamples: z.number().int().min(100).default(10000),
  permutations: z.number().int().min(100).default(10000),
  level: z.number().gt(0).lt(1).default(0.95),
  max_examples: z.number().int().min(0).default(8),
});

/** The metrics shown per α, in table and figure order. */
const METRICS: readonly MetricColumn[] = [
  { key: "mean_si", label: "μ_SI" },
  { key: "test_acc", label: "test accuracy" },
  { key: "corrupted_acc", label: "corrupted accuracy" },
  { key: "corrupted_ratio", label: "corrupted / clean" },
];

const LABELS: Record<string, string> = {
  alpha: "α",
  ...Object.fromEntries(METRICS.map((m) => [m.key, m.label])),
};

interface Args {
  models: string;
  corruption: string;
  examples: string;
  out: string;
}

/** Where each stage's per-network metrics live: `{dir}/{run}{suffix}`. */
const SOURCES = (args: Args): { stage: string; dir: string; suffix: string; read: MetricsReader }[] => [
  { stage: "train", dir: args.models, suffix: ".metrics.json", read: readTrainMetrics },
  { stage: "corrupt-eval", dir: args.corruption, suffix: ".json", read: readCorruptionMetrics },
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

/** Reads every source; returns the merged records and notes on what was missing or unreadable. */
async function readRecords(args: Args): Promise<{ records: NetworkRecord[]; notes: string[] }> {
  const entries: { run: string; values: Record<string, number> }[] = [];
  const notes: string[] = [];
  for (const source of SOURCES(args)) {
    const names = await listDir(source.dir);
    const files = (names ?? []).filter((n) => n.endsWith(source.suffix) && !n.endsWith(".curves.json"));
    if (files.length === 0) {
      notes.push(`${source.stage}: no *${source.suffix} files in ${source.dir}`);
      continue;
    }
    for (const name of files) {
      const path = join(source.dir, name);
      let json: unknown;
      try {
        json = JSON.parse(await Deno.readTextFile(path));
      } catch (e) {
        notes.push(`${path}: not readable JSON (${(e as Error).message}); skipped`);
        continue;
      }
      entries.push({ run: name.slice(0, -source.suffix.length), values: source.read(json) });
    }
  }
  const { records, skipped } = mergeRecords(entries);
  for (const run of skipped) notes.push(`${run}: not a run name of the form a{alpha}-s{seed}; skipped`);
  return { records, notes };
}

function tableCsv(records: readonly NetworkRecord[]): string {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r.values)))].sort();
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [["run", "alpha", "seed", ...keys].join(",")];
  for (const r of records) {
    lines.push(
      [quote(r.run), r.alpha, r.seed, ...keys.map((k) => (k in r.values ? r.values[k] : ""))].join(","),
    );
  }
  return lines.join("\n") + "\n";
}

async function figures(records: readonly NetworkRecord[], results: readonly ClaimResult[], level: number) {
  const out: { name: string; figure: Figure }[] = [];
  for (const m of METRICS) {
    const groups = summarizeGroups(
      records.filter((r) => m.key in r.values).map((r) => ({ key: r.alpha, value: r.values[m.key] })),
      level,
    );
    if (groups.length < 2) continue;
    const spec = lineWithBands(
      groups.map((g) => ({ group: m.label, x: g.key, mean: g.mean, lo: g.lo, hi: g.hi })),
      { title: `${m.label} vs α`, x: "α", y: m.label, group: "metric" },
    );
    const n = Math.max(...groups.map((g) => g.n));
    out.push({
      name: `${m.key}_vs_alpha`,
      figure: {
        svg: await renderSvg(spec),
        caption: `${m.label} per α: mean and ${
          Math.round(level * 100)
        } % t interval over seeds (up to ${n} per α).`,
      },
    });
  }
  for (const { spec, association: a } of results) {
    const pts = records.filter((r) => (spec.x === "alpha" || spec.x in r.values) && spec.y in r.values);
    const x = (r: NetworkRecord) => (spec.x === "alpha" ? r.alpha : r.values[spec.x]);
    const fit = Number.isFinite(a.slope) ? a : null;
    const svg = await renderSvg(scatterWithFit(
      pts.map((r) => ({ x: x(r), y: r.values[spec.y], group: String(r.alpha) })),
      fit,
      {
        title: `Claim ${spec.id}: ${LABELS[spec.y] ?? spec.y} vs ${LABELS[spec.x] ?? spec.x}`,
        subtitle: `Spearman ρ = ${formatNumber(a.rho, 3)} ${formatInterval(a.lo, a.hi)}, slope ${
          formatNumber(a.slope, 3)
        }, n = ${a.n}`,
        x: LABELS[spec.x] ?? spec.x,
        y: LABELS[spec.y] ?? spec.y,
        group: "α",
      },
    ));
    out.push({
      name: `claim${spec.id}_${spec.y}_vs_${spec.x}`,
      figure: {
        svg,
        caption: `${spec.claim}: one point per network; dashed: least-squares line. ${a.verdict}.`,
      },
    });
  }
  return out;
}

async function examples(dir: string, max: number): Promise<ExampleImage[]> {
  const runs = (await listDir(dir)) ?? [];
  const out: ExampleImage[] = [];
  for (const run of runs) {
    for (const name of (await listDir(join(dir, run))) ?? []) {
      if (out.length >= max) return out;
      if (!name.endsWith(".png")) continue;
      out.push({ png: await Deno.readFile(join(dir, run, name)), caption: `${run} ${name.slice(0, -4)}` });
    }
  }
  return out;
}

/** Builds and writes the report; returns what it wrote. */
export async function aggregate(args: Args, params: Record<string, unknown>): Promise<ReportContent> {
  const parsed = aggregateParamsSchema.safeParse(params.aggregate ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`params.yaml: aggregate.${issue.path.join(".")}: ${issue.message}`);
  }
  const p = parsed.data;
  const { records, notes } = await readRecords(args);
  const { results, unchecked } = checkClaims(records, CLAIMS, {
    seed: p.seed,
    resamples: p.resamples,
    permutations: p.permutations,
    level: p.level,
  });
  const figs = await figures(records, results, p.level);
  const content: ReportContent = {
    title: `Selectivity and robustness: ${records.length} networks`,
    params,
    summary: perAlphaTable(records, METRICS.filter((m) => records.some((r) => m.key in r.values)), p.level),
    claims: results.map((r) => r.check),
    figures: figs.map((f) => f.figure),
    examples: await examples(args.examples, p.max_examples),
    notes: [...notes, ...unchecked],
  };
  await Deno.mkdir(join(args.out, "plots"), { recursive: true });
  for (const f of figs) await Deno.writeTextFile(join(args.out, "plots", `${f.name}.svg`), f.figure.svg);
  await Deno.writeTextFile(join(args.out, "table.csv"), tableCsv(records));
  await Deno.writeTextFile(
    join(args.out, "verdicts.json"),
    JSON.stringify(results.map((r) => ({ ...r.spec, ...r.association })), null, 2) + "\n",
  );
  await Deno.writeTextFile(join(args.out, "index.html"), buildHtmlReport(content));
  await Deno.writeTextFile(join(args.out, "summary.md"), buildMarkdownSummary(content));
  return content;
}

/** Parses the command line of the stage. */
export function parseAggregateArgs(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: "string", default: "outputs/models" },
      corruption: { type: "string", default: "outputs/corruption" },
      examples: { type: "string", default: "outputs/corruption-examples" },
      out: { type: "string", default: "outputs/report" },
    },
    strict: true,
  });
  return values as Args;
}

if (import.meta.main) {
  try {
    const args = parseAggregateArgs(Deno.args);
    const content = await aggregate(args, stageParams());
    for (const c of content.claims) {
      console.log(
        `aggregate: claim ${c.id}: ρ = ${formatNumber(c.estimate, 3)} ${
          formatInterval(c.lo, c.hi)
        } → ${c.verdict}`,
      );
    }
    for (const n of content.notes) console.log(`aggregate: note: ${n}`);
    console.log(`aggregate: ${content.figures.length} figures -> ${join(args.out, "index.html")}`);
  } catch (e) {
    console.error(`aggregate: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
