/**
 * The fault-injection bench (issue 11, "Prove it"): N seeded tries on the toy pipeline of
 * tests/pipeline/fault_harness.ts, each killing the runner (at a crash point of pipeline/fault.ts or at a
 * random time) or the stage (at a random time) with SIGKILL, then rerunning and checking every invariant.
 * Prints one row per fault: tries, how many actually crashed, how many survived (every invariant held), how
 * many lost or mixed data, and how many left a stage running after the runner died (orphans); then the
 * distinct broken invariants.
 *
 *   deno run -A bench/runner_faults.ts [--tries 240] [--sandbox-tries 60] [--seed 11]
 *
 * `--tries` run without the sandbox, `--sandbox-tries` with `repro --sandbox` (needs `bwrap`). No timing is
 * asserted; kill times are drawn relative to a measured clean run.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { FaultLab, schedule, type TryResult } from "../tests/pipeline/fault_harness.ts";

const args = parseArgs({
  args: Deno.args,
  options: { tries: { type: "string" }, "sandbox-tries": { type: "string" }, seed: { type: "string" } },
});
const tries = Number(args.values.tries ?? 240);
const sandboxTries = Number(args.values["sandbox-tries"] ?? 60);
const seed = Number(args.values.seed ?? 11);

const results: TryResult[] = [];
for (const [sandbox, count] of [[false, tries], [true, sandboxTries]] as const) {
  if (count === 0) continue;
  await using lab = await FaultLab.create({ sandbox });
  const runMs = await lab.cleanRunMs();
  const faults = schedule(seed + (sandbox ? 1 : 0), count, runMs);
  for (const [i, fault] of faults.entries()) {
    const result = await lab.try(fault);
    results.push(result);
    const mark = result.problems.length === 0 ? "ok" : "BROKEN";
    console.error(`[${sandbox ? "sandbox " : ""}${i + 1}/${count}] ${result.row}: ${mark}`);
  }
}

const rows = new Map<string, TryResult[]>();
for (const r of results) rows.set(r.row, [...(rows.get(r.row) ?? []), r]);
const header = ["fault", "tries", "crashed", "survived", "lost or mixed", "orphaned stages"];
const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
for (const [row, rs] of rows) {
  lines.push(
    `| ${row} | ${rs.length} | ${rs.filter((r) => r.crashed).length} | ` +
      `${rs.filter((r) => r.problems.length === 0).length} | ${
        rs.filter((r) => r.problems.length > 0).length
      } | ` +
      `${rs.filter((r) => r.orphans > 0).length} |`,
  );
}
const all = results.length;
const survived = results.filter((r) => r.problems.length === 0).length;
lines.push(
  `| **all** | ${all} | ${results.filter((r) => r.crashed).length} | ${survived} | ${all - survived} | ` +
    `${results.filter((r) => r.orphans > 0).length} |`,
);
console.log(`Fault injection, seed ${seed}: ${all} tries\n`);
console.log(lines.join("\n"));
const broken = new Map<string, number>();
for (const r of results) {
  for (const p of r.problems) {
    const key = `${r.row}: ${p.replace(/\d+-\d+/g, "<run>").replace(/v\d+/g, "<v>")}`;
    broken.set(key, (broken.get(key) ?? 0) + 1);
  }
}
if (broken.size > 0) {
  console.log("\nBroken invariants (count):");
  for (const [p, n] of broken) console.log(`- (${n}) ${p}`);
}
