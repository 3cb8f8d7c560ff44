/**
 * Keeping a stage's previous outputs safe while it runs: they are moved aside into `.pipeline/tmp/<stage>/` before
 * the command starts and moved back if it fails or is killed, so a failed run changes nothing. A runner that
 * dies hard leaves the backup behind, and the next `repro` puts it back before doing anything else.
 *
 * The journal (`journal.json`, written atomically before anything moves) is the only thing recovery trusts, and
 * it is checked: every path in it must be a path an out may have ({@link forbiddenOutReason}), so recovery can
 * never remove the project, `.git` or the runner's files, whatever the journal says. It also records the run
 * in flight (`running`: a run id that every process of the run carries, plus executor-specific fields such as
 * the local process group), so the next `repro` can end what a dead runner left running before it restores.
 *
 * @module
 */
import { dirname } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "./atomic.ts";
import { PipelineError } from "./errors.ts";
import { forbiddenOutReason } from "./out_paths.ts";
import { faultPoint } from "./fault.ts";

/**
 * The run in flight, as journaled: `runId` always (written before the command starts); executors add their
 * own fields once it has started (local: `pid`, `pgid`; a batch executor: its job id).
 */
const runningSchema = z.looseObject({
  runId: z.string().min(1),
  executor: z.string().optional(),
  pid: z.number().int().positive().optional(),
  pgid: z.number().int().positive().optional(),
});

const journalSchema = z.looseObject({
  stage: z.string().min(1),
  /** Out paths that existed and were moved aside. */
  moved: z.array(z.string()),
  /** Out paths that did not exist (anything there after a failure is partial and is removed). */
  absent: z.array(z.string()),
  running: runningSchema.optional(),
});

/** A backup's journal. */
export type Journal = z.infer<typeof journalSchema>;

/** A stage's outputs, moved aside for the duration of a run. */
export class OutputBackup {
  readonly #root: string;
  readonly #dir: string;
  readonly #journal: Journal;

  private constructor(root: string, dir: string, journal: Journal) {
    this.#root = root;
    this.#dir = dir;
    this.#journal = journal;
  }

  /** The journal as written (read-only view). */
  get journal(): Readonly<Journal> {
    return this.#journal;
  }

  /**
   * Move the existing `outs` of `stage` aside (creating their parent directories for the command), journaling
   * `runId`, the id the run's processes will carry.
   *
   * @example
   * ```ts
   * const backup = await OutputBackup.take(root, `${root}/.pipeline/tmp`, "train", ["outputs/model"], runId);
   * // … run; on failure: await backup.restore(); on success: await backup.discard();
   * ```
   */
  static async take(
    root: string,
    tmpDir: string,
    stage: string,
    outs: readonly string[],
    runId: string,
  ): Promise<OutputBackup> {
    for (const out of outs) checkJournalPath(out, stage);
    const dir = `${tmpDir}/${encodeURIComponent(stage)}`;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(`${dir}/files`, { recursive: true });
    const journal: Journal = { stage, moved: [], absent: [], running: { runId } };
    for (const out of outs) {
      try {
        await Deno.lstat(`${root}/${out}`);
        journal.moved.push(out);
      } catch {
        journal.absent.push(out);
      }
    }
    const backup = new OutputBackup(root, dir, journal);
    await backup.#writeJournal();
    for (const out of journal.moved) {
      await Deno.mkdir(dirname(`${dir}/files/${out}`), { recursive: true });
      faultPoint("backup");
      await Deno.rename(`${root}/${out}`, `${dir}/files/${out}`);
    }
    for (const out of outs) await Deno.mkdir(dirname(`${root}/${out}`), { recursive: true });
    return backup;
  }

  /**
   * The backup a previous runner took for `stage` and left behind because its batch job still runs (the runner
   * reattaches to the job), or undefined when there is none or its journal does not parse.
   *
   * @example
   * ```ts
   * const backup = await OutputBackup.reopen(root, `${root}/.pipeline/tmp`, "train");
   * ```
   */
  static async reopen(root: string, tmpDir: string, stage: string): Promise<OutputBackup | undefined> {
    const dir = `${tmpDir}/${encodeURIComponent(stage)}`;
    try {
      const parsed = journalSchema.safeParse(JSON.parse(await Deno.readTextFile(`${dir}/journal.json`)));
      return parsed.success && parsed.data.stage === stage
        ? new OutputBackup(root, dir, parsed.data)
        : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Journal what the executor reports about the spawned processes (merged into `running`); its `runId`, when
   * given, replaces the stage's own: the id in the environment of processes that outlive one stage (a
   * persistent stage host started by an earlier stage).
   */
  async recordSpawned(info: Readonly<Record<string, unknown>>): Promise<void> {
    this.#journal.running = runningSchema.parse({ runId: this.#journal.running!.runId, ...info });
    await this.#writeJournal();
  }

  async #writeJournal(): Promise<void> {
    await writeFileAtomic(`${this.#dir}/journal.json`, JSON.stringify(this.#journal));
  }

  /**
   * Remove whatever the failed run wrote and put the previous outputs back. Touches only the journal's paths,
   * each checked again here.
   */
  async restore(): Promise<void> {
    const { stage, moved, absent } = this.#journal;
    for (const out of [...moved, ...absent]) checkJournalPath(out, stage);
    for (const out of absent) {
      await Deno.remove(`${this.#root}/${out}`, { recursive: true }).catch(() => {});
    }
    for (const out of moved) {
      const saved = `${this.#dir}/files/${out}`;
      if (!(await exists(saved))) continue; // never moved: the runner stopped before it got there
      await Deno.remove(`${this.#root}/${out}`, { recursive: true }).catch(() => {});
      await Deno.mkdir(dirname(`${this.#root}/${out}`), { recursive: true });
      faultPoint("restore");
      await Deno.rename(saved, `${this.#root}/${out}`);
    }
    await Deno.remove(this.#dir, { recursive: true });
  }

  /** Drop the previous outputs (the run succeeded; they are in the cache if they were cached). */
  async discard(): Promise<void> {
    await Deno.remove(this.#dir, { recursive: true });
  }

  /**
   * The backups left by runners that died mid-stage, with their journals, for recovery: the caller ends what
   * each left running (see run_processes.ts), then calls {@link OutputBackup.restore}. A journal that does not
   * parse is an error naming it and what to do; it is never guessed at.
   *
   * @example
   * ```ts
   * for (const b of await OutputBackup.leftBehind(root, tmpDir)) await b.restore();
   * ```
   */
  static async leftBehind(root: string, tmpDir: string): Promise<OutputBackup[]> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(tmpDir));
    } catch {
      return [];
    }
    const out: OutputBackup[] = [];
    for (const e of entries) {
      if (!e.isDirectory) continue; // not a backup: e.g. a stage's progress file left by a killed run
      const dir = `${tmpDir}/${e.name}`;
      const path = `${dir}/journal.json`;
      let text: string;
      try {
        text = await Deno.readTextFile(path);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
        // No journal: the runner died before moving anything (the journal is written first).
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        continue;
      }
      let parsed;
      try {
        parsed = journalSchema.safeParse(JSON.parse(text));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) {
        const why = parsed
          ? parsed.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`)
            .join("; ")
          : "not JSON";
        throw new PipelineError(
          `${path}: the backup journal of an interrupted run is damaged (${why}). The previous outputs it ` +
            `guarded are under ${dir}/files/: move back what you need, then delete ${dir} and run repro again`,
        );
      }
      out.push(new OutputBackup(root, dir, parsed.data));
    }
    return out;
  }
}

/** Refuse (loudly) any journal path that recovery must never touch. */
function checkJournalPath(path: string, stage: string): void {
  const why = forbiddenOutReason(path);
  if (why) {
    throw new PipelineError(
      `backup of stage '${stage}': refusing to move or remove '${path}', which ${why}; nothing was changed`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
