/**
 * The short fault-injection run for CI (the long one is bench/runner_faults.ts): seeded SIGKILLs of the runner
 * at every crash point of pipeline/fault.ts and at random times, and of the stage at random times, each followed
 * by a clean rerun and the invariant checks of tests/pipeline/fault_harness.ts.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { FaultLab, schedule } from "./fault_harness.ts";

const hasBwrap = await new Deno.Command("bwrap", { args: ["--version"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);
const hasXxhsum = await new Deno.Command("xxhsum", { args: ["--version"], stdout: "null", stderr: "null" })
  .output().then(() => true, () => false);
for (
  const [ok, what] of [[hasBwrap, "bubblewrap ('bwrap'; tools/services/bubblewrap.sh install)"], [
    hasXxhsum,
    "xxhsum (Debian package xxhash)",
  ]] as const
) {
  if (ok) continue;
  const msg = `SKIPPING parts of tests/pipeline/fault_injection_test.ts: ${what} is not installed`;
  if (Deno.env.get("CI")) throw new Error(msg);
  console.error(`\n${"!".repeat(20)}\n${msg}\n${"!".repeat(20)}\n`);
}

Deno.test({
  name:
    "runner SIGKILLed at each crash point, or its stage at a random time: every invariant holds (16 tries)",
  ignore: !hasXxhsum,
  async fn() {
    await using lab = await FaultLab.create({ sandbox: false });
    const runMs = await lab.cleanRunMs();
    // Random-time kills of the unsandboxed runner are the test below (a known failure until r11core lands).
    const faults = schedule(20261206, 20, runMs).filter((f) =>
      f.kind !== "runner-time" && f.kind !== "runner-in-stage"
    );
    assertEquals(faults.length, 16);
    let crashed = 0;
    for (const fault of faults) {
      const r = await lab.try(fault);
      assertEquals(r.problems, [], `${r.row} (${JSON.stringify(fault)})`);
      if (r.crashed) crashed++;
    }
    assert(crashed >= 12, `only ${crashed} of 16 faults hit; the crash points are not reached`);
  },
});

Deno.test({
  name:
    "sandboxed: runner SIGKILLed at any point or time, or its stage: every invariant holds, no orphan (10 tries)",
  ignore: !hasBwrap || !hasXxhsum,
  async fn() {
    await using lab = await FaultLab.create({ sandbox: true });
    const runMs = await lab.cleanRunMs();
    for (const fault of schedule(7, 10, runMs)) {
      const r = await lab.try(fault);
      assertEquals(r.problems, [], `${r.row} (${JSON.stringify(fault)})`);
      assertEquals(r.orphans, 0, `${r.row}: a sandboxed stage outlived its runner`);
    }
  },
});

// KNOWN FAILURE on main until branch r11core lands (issue 11 item 2: a killed runner leaves its stage running,
// and the next run records a mix). Found by this suite: after a SIGKILL of the runner mid-command, the stage
// (setsid) keeps writing into the rerun's outputs and the mixed result is recorded as correct. Remove `ignore`
// once r11core is merged; it must then pass.
Deno.test({
  name:
    "[KNOWN FAILURE until r11core, issue 11 item 2] runner SIGKILLed while its stage runs: no orphan, no mix",
  ignore: true,
  async fn() {
    await using lab = await FaultLab.create({ sandbox: false });
    for (let i = 0; i < 6; i++) {
      const r = await lab.try({ kind: "runner-in-stage", ms: 150 * i });
      assertEquals(r.problems, [], r.row);
      assertEquals(r.orphans, 0, `${r.row}: the stage outlived its runner`);
    }
  },
});
