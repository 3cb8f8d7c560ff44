/**
 * Test helpers for the Slurm executor: find the real Slurm that `tools/services/slurm.sh start` brought up (from
 * `SLURM_CONF` or the service's state file), or skip loudly, or fail when `CI` is set; and small queries of the
 * cluster for assertions.
 *
 * @module
 */

const SERVICE_SCRIPT = new URL("../../tools/services/slurm.sh", import.meta.url).pathname;

/** How tests reach the test cluster, or why they cannot. */
export interface SlurmAvailability {
  readonly up: boolean;
  /** Why not, for the skip message. */
  readonly why?: string;
  /** The service's state directory (pid files, node names), when known. */
  readonly serviceDir?: string;
}

/** Find the test Slurm; exports `SLURM_CONF` into this process so spawned runners inherit it. */
export function findSlurm(): SlurmAvailability {
  const stateFile = `${Deno.env.get("SERVICES_DIR") ?? "/tmp"}/slurm/env`;
  let vars: Record<string, string> = {};
  try {
    vars = Object.fromEntries(
      Deno.readTextFileSync(stateFile).trim().split("\n").map((l) => l.split("=", 2) as [string, string]),
    );
  } catch { /* not started through the service script */ }
  const conf = Deno.env.get("SLURM_CONF") ?? vars.SLURM_CONF;
  if (!conf) return { up: false, why: `no SLURM_CONF and no ${stateFile}` };
  Deno.env.set("SLURM_CONF", conf);
  try {
    const r = new Deno.Command("sinfo", { args: ["-h", "-o", "%T"], stdout: "piped", stderr: "piped" })
      .outputSync();
    if (r.code !== 0) return { up: false, why: new TextDecoder().decode(r.stderr).trim() };
  } catch {
    return { up: false, why: "sinfo not installed" };
  }
  return { up: true, serviceDir: vars.SLURM_SERVICE_DIR };
}

/**
 * Whether to run the Slurm tests: true when Slurm is up; otherwise a loud skip message, or a thrown error in
 * CI (a Slurm test must never pass silently there).
 */
export function slurmTestsEnabled(): boolean {
  const s = findSlurm();
  if (s.up) return true;
  const msg = `Slurm is not up (${s.why}): start it with 'bash tools/services/slurm.sh start'`;
  if (Deno.env.get("CI")) throw new Error(`${msg}; CI must run the Slurm tests`);
  console.warn(`\n!!! SKIPPING the Slurm executor tests: ${msg} !!!\n`);
  return false;
}

/** Run a Slurm client command; stdout as text. */
export function slurmCmd(cmd: string, ...args: string[]): string {
  const r = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  return new TextDecoder().decode(r.stdout);
}

/** Jobs named `name` still pending, running or completing, as `id|state|node`. */
export function liveJobs(name: string): string[] {
  return slurmCmd("squeue", "-h", "--name", name, "-t", "PD,R,CG", "-o", "%i|%T|%N").trim().split("\n")
    .filter(
      Boolean,
    );
}

/** Job names of the stage: the executor names each job `<stage>@<key prefix>`, so match the prefix. */
export function liveJobsOfStage(stage: string): string[] {
  return slurmCmd("squeue", "-h", "-t", "PD,R,CG", "-o", "%i|%T|%N|%j").trim().split("\n").filter((l) =>
    l.split("|")[3]?.startsWith(`${stage}@`)
  );
}

/** Poll `probe` every 200 ms until it returns a value, for at most `seconds`. */
export async function waitFor<T>(what: string, seconds: number, probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < seconds * 5; i++) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${seconds}s waiting for ${what}`);
}

/** Run the service script with a subcommand (e.g. `stop-node ci-1`). */
export function serviceScript(...args: string[]): void {
  const r = new Deno.Command("bash", { args: [SERVICE_SCRIPT, ...args], stdout: "piped", stderr: "piped" })
    .outputSync();
  if (r.code !== 0) throw new Error(`slurm.sh ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
}

/** Read all of a spawned runner's output after it exits. */
export async function finish(child: Deno.ChildProcess): Promise<{ code: number; out: string }> {
  const r = await child.output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}
