/**
 * Where each stage group's wall went in one pipeline run, from its run records: the runner's wall, the stage's
 * CPU seconds (all threads of its process) and, for a run with `PIPELINE_GPU_COUNTERS=1`, its WebGPU calls —
 * pipelines compiled, reads (`mapAsync`), submits, uploads (`writeBuffer`) and bind groups, with the wall time
 * spent inside each (stages/support/stage_costs.ts). Means over the stages of a group (`train@…` → `train`),
 * and the slowest and fastest run of the group, so that a stage's first run in a host (compiling its shaders)
 * shows beside its later ones.
 *
 * Run: `deno run -A bench/gpu/stage_costs.ts DIR` where DIR is a project's `.pipeline` (e.g. a
 * variant of bench/gpu/pipeline_ab.sh: `/tmp/pipeline-ab/<name>/.pipeline`); the newest record of each stage
 * counts.
 *
 * @module
 */
import { readRunRecords, type RunRecord } from "../../pipeline/run_records.ts";

/** The WebGPU methods reported, in column order, with their column titles. */
const COLUMNS: readonly [string, string][] = [
  ["device.createComputePipeline", "pipelines"],
  ["buffer.mapAsync", "reads"],
  ["queue.submit", "submits"],
  ["queue.writeBuffer", "uploads"],
  ["device.createBindGroup", "bind groups"],
];

type Api = Record<string, { calls: number; ms: number }>;

/** Per group: n, mean wall and CPU seconds, mean calls and ms per WebGPU method, min and max wall. */
export interface GroupCosts {
  group: string;
  n: number;
  wall: number;
  minWall: number;
  maxWall: number;
  cpu: number | null;
  api: Record<string, { calls: number; ms: number }>;
}

/** Groups the newest record of each stage (`records` newest first) and averages their costs. */
export function groupCosts(records: readonly RunRecord[]): GroupCosts[] {
  const newest = new Map<string, RunRecord>();
  for (const r of records) if (!newest.has(r.stage)) newest.set(r.stage, r);
  const groups = new Map<string, RunRecord[]>();
  for (const r of newest.values()) {
    const g = r.stage.split("@")[0];
    groups.set(g, (groups.get(g) ?? []).concat(r));
  }
  return [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([group, rs]) => {
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const cpus = rs.map((r) => r.facts?.cpu_seconds).filter((c): c is number => typeof c === "number");
    const api: GroupCosts["api"] = {};
    for (const [method] of COLUMNS) {
      const per = rs.map((r) => ((r.facts?.gpu_api ?? {}) as Api)[method] ?? { calls: 0, ms: 0 });
      api[method] = { calls: mean(per.map((p) => p.calls)), ms: mean(per.map((p) => p.ms)) };
    }
    const walls = rs.map((r) => r.wall_seconds);
    return {
      group,
      n: rs.length,
      wall: mean(walls),
      minWall: Math.min(...walls),
      maxWall: Math.max(...walls),
      cpu: cpus.length ? mean(cpus) : null,
      api,
    };
  });
}

/** The groups as a Markdown table: calls / ms per method. */
export function costsTable(groups: readonly GroupCosts[]): string {
  const head = [
    "stage",
    "n",
    "wall (min–max)",
    "CPU s",
    ...COLUMNS.map(([, title]) => `${title} (calls / ms)`),
  ];
  const rows = groups.map((g) => [
    g.group,
    String(g.n),
    `${g.wall.toFixed(2)} (${g.minWall.toFixed(1)}–${g.maxWall.toFixed(1)})`,
    g.cpu === null ? "–" : g.cpu.toFixed(2),
    ...COLUMNS.map(([m]) => `${g.api[m].calls.toFixed(0)} / ${g.api[m].ms.toFixed(0)}`),
  ]);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

if (import.meta.main) {
  const dir = Deno.args[0];
  if (!dir) {
    console.error("usage: deno run -A bench/gpu/stage_costs.ts <project>/.pipeline");
    Deno.exit(2);
  }
  console.log(costsTable(groupCosts(await readRunRecords(dir))));
}
