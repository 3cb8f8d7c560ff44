/**
 * Replays recorded stage walls through `repro`'s way of starting stages, to compare launch orders without the
 * machine that recorded them: each stage starts when its upstream stages are done and one of `--jobs` slots is
 * free, in the order given, and takes the wall its run record says (plus a launch overhead). It prints the
 * simulated wall of the whole run in pipeline.yaml's order and in `pipeline/launch_order.ts`'s order (by
 * chain length, as on a first run, and by the recorded walls, as on a later one). The walls are held fixed, so
 * this is an estimate: on a shared GPU a stage's wall depends on what runs beside it.
 *
 * Run: `deno run -A bench/schedule_replay.ts RUNS.txt [--jobs 8] [--overhead 0.1]`, where RUNS.txt is
 * `metrics show --runs --last 1` of a run of this project's pipeline.yaml (bench/gpu/pipeline.sh saves it as
 * `runs.txt`), e.g. from `bench/gpu/pipeline_ab.sh`'s `ab.tgz`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { closeProject, openProject } from "../pipeline/project.ts";
import { launchOrder } from "../pipeline/launch_order.ts";
import type { StageGraph } from "../pipeline/graph.ts";

/** Stage → wall seconds from a rendered run-record table (`Stage  Started(date time)  Wall  …`). */
export function wallsFromTable(text: string): Map<string, number> {
  const walls = new Map<string, number>();
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 3 && /^[\d.]+s$/.test(f[3])) walls.set(f[0], Number(f[3].slice(0, -1)));
  }
  return walls;
}

/**
 * The simulated wall of running `order` with `jobs` slots: a stage starts at the first moment its upstream
 * stages are done and a slot is free, earlier in `order` first, and runs `walls` seconds (1 when unknown) plus
 * `overhead`.
 */
export function replay(
  graph: StageGraph,
  order: readonly string[],
  walls: ReadonlyMap<string, number>,
  jobs: number,
  overhead: number,
): number {
  const done = new Set<string>();
  const running: { name: string; end: number }[] = [];
  const pending = [...order];
  let now = 0;
  while (pending.length > 0 || running.length > 0) {
    for (const name of [...pending]) {
      if (running.length >= jobs) break;
      if (!(graph.upstream.get(name) ?? []).every((u) => done.has(u))) continue;
      pending.splice(pending.indexOf(name), 1);
      running.push({ name, end: now + (walls.get(name) ?? 1) + overhead });
    }
    if (running.length === 0) throw new Error(`stages that can never start: ${pending.join(", ")}`);
    running.sort((a, b) => a.end - b.end);
    const next = running.shift()!;
    now = next.end;
    done.add(next.name);
  }
  return now;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { jobs: { type: "string", default: "8" }, overhead: { type: "string", default: "0.1" } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) {
    console.error("usage: deno run -A bench/schedule_replay.ts RUNS.txt [--jobs 8] [--overhead 0.1]");
    Deno.exit(2);
  }
  const walls = wallsFromTable(await Deno.readTextFile(positionals[0]));
  const project = await openProject(Deno.cwd(), {});
  try {
    const names = [...project.graph.order];
    const jobs = Number(values.jobs), overhead = Number(values.overhead);
    const run = (order: string[]) => replay(project.graph, order, walls, jobs, overhead).toFixed(1);
    console.log(`${walls.size} recorded walls, ${jobs} slots, ${overhead} s to start a stage:`);
    console.log(`  pipeline.yaml's order:                  ${run(names)} s`);
    console.log(
      `  launch order by chain length (no runs): ${run(launchOrder(project.graph, names, new Map()))} s`,
    );
    console.log(
      `  launch order by the recorded walls:     ${run(launchOrder(project.graph, names, walls))} s`,
    );
  } finally {
    await closeProject(project);
  }
}
