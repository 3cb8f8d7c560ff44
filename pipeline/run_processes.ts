/**
 * Finding and ending the processes of one stage run on this machine. Every command the runner starts carries
 * `PIPELINE_RUN_ID=<uuid>` in its environment, and the id is journaled before the command starts; so after a
 * runner died hard, the next `repro` can find whatever that run left behind — the whole process group and
 * anything that escaped it — by reading `/proc/<pid>/environ`, with no risk of hitting a reused pid.
 *
 * @example
 * ```ts
 * const pids = runProcesses(journal.running.runId);
 * if (pids.length) await endRunProcesses(journal.running.runId);
 * ```
 *
 * @module
 */

/** Environment variable naming the stage run a process belongs to. */
export const RUN_ID_ENV = "PIPELINE_RUN_ID";

/** Live processes (not zombies) on this machine whose environment carries `runId`; empty where /proc is absent. */
export function runProcesses(runId: string): number[] {
  const needle = new TextEncoder().encode(`\0${RUN_ID_ENV}=${runId}\0`);
  const pids: number[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync("/proc")];
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      const env = Deno.readFileSync(`/proc/${e.name}/environ`);
      const padded = new Uint8Array(env.length + 1);
      padded.set(env, 1);
      if (contains(padded, needle)) pids.push(Number(e.name));
    } catch { /* gone, or not ours to read */ }
  }
  return pids;
}

/**
 * End every process of run `runId`: SIGTERM, up to `graceMs` to exit, then SIGKILL (processes started
 * meanwhile are found again each round). Resolves with the pids still alive after that (normally none).
 */
export async function endRunProcesses(runId: string, graceMs = 5000): Promise<number[]> {
  const signal = (sig: Deno.Signal) => {
    for (const pid of runProcesses(runId)) {
      try {
        Deno.kill(pid, sig);
      } catch { /* already gone */ }
    }
  };
  for (const [sig, wait] of [["SIGTERM", graceMs], ["SIGKILL", 2000]] as const) {
    signal(sig);
    for (let waited = 0; waited < wait; waited += 100) {
      if (runProcesses(runId).length === 0) return [];
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return runProcesses(runId);
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
