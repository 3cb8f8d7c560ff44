/**
 * The journal of running stages: one record per stage whose command is out of the runner's hands (a Slurm job,
 * a process group), in `.pipeline/running/<stage>.json`, written atomically when the work starts and removed
 * when its outcome is recorded or undone. A runner that dies leaves its records behind, so the next `repro` can
 * find the work still going: reattach to it, or cancel it. Each executor keeps its own fields in a section named
 * after it (`slurm: {job_id, ...}`); the common fields say which stage, which stage key and where the log is.
 *
 * @example
 * ```ts
 * const journal = new RunningJournal("/proj/.pipeline");
 * await journal.write({ stage: "train", key: "ab12", executor: "slurm", log: "/proj/.pipeline/logs/train/x.log",
 *   started: new Date().toISOString(), slurm: { job_id: "42", job_name: "train@ab12", exit_base: "/proj/.pipeline/logs/train/x", attempt: 1 } });
 * for (const r of await journal.list()) console.log(r.stage, r.slurm?.job_id);
 * ```
 *
 * @module
 */
import { z } from "zod";
import { writeFileAtomic } from "./atomic.ts";

/** A Slurm job's handle: enough to poll, reattach to or cancel it. */
export const slurmHandleSchema = z.object({
  /** The job id sbatch printed; absent in the record written just before sbatch. */
  job_id: z.string().regex(/^\d+$/).optional(),
  /** The job's name (found with `squeue --name` if the runner died between sbatch and the journal write). */
  job_name: z.string().min(1),
  /** The job script writes its exit status to `<exit_base>.<job id>.exit`. */
  exit_base: z.string().min(1),
  /** The submission attempt (1 + retries so far). */
  attempt: z.number().int().positive(),
});

/** One running stage. Unknown fields are kept, so other executors' sections survive a read and a rewrite. */
export const runningRecordSchema = z.looseObject({
  stage: z.string().min(1),
  /** The stage key the work was started for; a different key now means the inputs changed since. */
  key: z.string().min(1),
  /** The executor that started it (`local`, `slurm`). */
  executor: z.string().min(1),
  /** The stage's log file. */
  log: z.string().min(1),
  /** ISO time the work started. */
  started: z.string(),
  slurm: slurmHandleSchema.optional(),
});

/** A Slurm job handle. */
export type SlurmHandle = z.infer<typeof slurmHandleSchema>;
/** A journal record. */
export type RunningRecord = z.infer<typeof runningRecordSchema>;

/** The journal of running stages of one project. */
export class RunningJournal {
  readonly #dir: string;

  /** The journal under the runner's directory `pipelineDir` (`.pipeline`). */
  constructor(pipelineDir: string) {
    this.#dir = `${pipelineDir}/running`;
  }

  /** Record (or replace) the record of `record.stage`. */
  async write(record: RunningRecord): Promise<void> {
    await writeFileAtomic(
      this.#path(record.stage),
      JSON.stringify(runningRecordSchema.parse(record), null, 2),
    );
  }

  /** Drop the record of `stage`, if any. */
  async remove(stage: string): Promise<void> {
    await Deno.remove(this.#path(stage)).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }

  /** Every record; a file that does not parse is reported through `onBad` and left in place for inspection. */
  async list(onBad: (path: string, why: string) => void = () => {}): Promise<RunningRecord[]> {
    const out: RunningRecord[] = [];
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(this.#dir));
    } catch {
      return out;
    }
    for (
      const e of entries.filter((e) => e.name.endsWith(".json")).sort((a, b) => a.name < b.name ? -1 : 1)
    ) {
      const path = `${this.#dir}/${e.name}`;
      try {
        const parsed = runningRecordSchema.safeParse(JSON.parse(await Deno.readTextFile(path)));
        if (parsed.success) out.push(parsed.data);
        else onBad(path, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      } catch (err) {
        onBad(path, (err as Error).message);
      }
    }
    return out;
  }

  #path(stage: string): string {
    return `${this.#dir}/${encodeURIComponent(stage)}.json`;
  }
}
