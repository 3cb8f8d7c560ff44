/**
 * Crash points for the fault-injection suite (tests/pipeline/fault_injection_test.ts, bench/runner_faults.ts): with
 * `PIPELINE_FAULT_AT=phase:n` in its environment, the runner kills itself with SIGKILL the n-th time (from 1)
 * it reaches a crash point of that phase, exactly as an OOM kill or a power cut would stop it there. Without
 * the variable (always, outside those tests) a crash point does nothing.
 *
 * Phases: `hash` (a file hashed), `backup` (an out moved aside), `commit` (a cache object written, not yet
 * renamed into place), `runcache` (before a run-cache entry is saved), `lock` (the lock's temporary file
 * written, not yet renamed), `discard` (the lock written, the backup not yet dropped), `restore` (an out being
 * put back from its backup, after a failure or an earlier crash).
 *
 * @example
 * ```ts
 * faultPoint("commit"); // PIPELINE_FAULT_AT=commit:3 ends the process on the third object
 * ```
 *
 * @module
 */

/** The places where a crash can be injected. */
export const FAULT_PHASES = ["hash", "backup", "commit", "runcache", "lock", "discard", "restore"] as const;

/** One of {@link FAULT_PHASES}. */
export type FaultPhase = typeof FAULT_PHASES[number];

const armed = parseFaultAt(Deno.env.get("PIPELINE_FAULT_AT"));
let reached = 0;

/** Kill this process with SIGKILL if `PIPELINE_FAULT_AT` names this phase and this is its n-th visit. */
export function faultPoint(phase: FaultPhase): void {
  if (armed?.phase !== phase) return;
  reached++;
  if (reached === armed.n) Deno.kill(Deno.pid, "SIGKILL");
}

function parseFaultAt(text: string | undefined): { phase: FaultPhase; n: number } | undefined {
  if (!text) return undefined;
  const m = text.match(/^([a-z]+):(\d+)$/);
  if (!m || !(FAULT_PHASES as readonly string[]).includes(m[1]) || Number(m[2]) < 1) {
    throw new Error(
      `PIPELINE_FAULT_AT='${text}': expected phase:n with n ≥ 1 and phase one of ${FAULT_PHASES.join(", ")}`,
    );
  }
  return { phase: m[1] as FaultPhase, n: Number(m[2]) };
}
