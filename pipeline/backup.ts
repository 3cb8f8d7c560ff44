/**
 * Keeping a stage's previous outputs safe while it runs: they are moved aside into `.pipeline/tmp/<stage>/` before
 * the command starts and moved back if it fails or is killed, so a failed run changes nothing. A runner that
 * dies hard leaves the backup behind, and the next `repro` puts it back before doing anything else.
 *
 * @module
 */
import { dirname } from "node:path";

interface Journal {
  stage: string;
  /** Out paths that existed and were moved aside. */
  moved: string[];
  /** Out paths that did not exist (anything there after a failure is partial and is removed). */
  absent: string[];
}

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

  /**
   * Move the existing `outs` of `stage` aside (creating their parent directories for the command).
   *
   * @example
   * ```ts
   * const backup = await OutputBackup.take(root, `${root}/.pipeline/tmp`, "train", ["outputs/model"]);
   * // … run; on failure: await backup.restore(); on success: await backup.discard();
   * ```
   */
  static async take(
    root: string,
    tmpDir: string,
    stage: string,
    outs: readonly string[],
  ): Promise<OutputBackup> {
    const dir = `${tmpDir}/${encodeURIComponent(stage)}`;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(`${dir}/files`, { recursive: true });
    const journal: Journal = { stage, moved: [], absent: [] };
    for (const out of outs) {
      try {
        await Deno.lstat(`${root}/${out}`);
        journal.moved.push(out);
      } catch {
        journal.absent.push(out);
      }
    }
    await Deno.writeTextFile(`${dir}/journal.json`, JSON.stringify(journal));
    for (const out of journal.moved) {
      await Deno.mkdir(dirname(`${dir}/files/${out}`), { recursive: true });
      await Deno.rename(`${root}/${out}`, `${dir}/files/${out}`);
    }
    for (const out of outs) await Deno.mkdir(dirname(`${root}/${out}`), { recursive: true });
    return new OutputBackup(root, dir, journal);
  }

  /**
   * The backup a previous runner took for `stage` and left behind (its job still running), or undefined.
   *
   * @example
   * ```ts
   * const backup = await OutputBackup.reopen(root, `${root}/.pipeline/tmp`, "train");
   * ```
   */
  static async reopen(root: string, tmpDir: string, stage: string): Promise<OutputBackup | undefined> {
    const dir = `${tmpDir}/${encodeURIComponent(stage)}`;
    try {
      return new OutputBackup(root, dir, JSON.parse(await Deno.readTextFile(`${dir}/journal.json`)));
    } catch {
      return undefined;
    }
  }

  /** Remove whatever the failed run wrote and put the previous outputs back. */
  async restore(): Promise<void> {
    for (const out of this.#journal.absent) {
      await Deno.remove(`${this.#root}/${out}`, { recursive: true }).catch(() => {});
    }
    for (const out of this.#journal.moved) {
      const saved = `${this.#dir}/files/${out}`;
      if (!(await exists(saved))) continue; // never moved: the runner stopped before it got there
      await Deno.remove(`${this.#root}/${out}`, { recursive: true }).catch(() => {});
      await Deno.rename(saved, `${this.#root}/${out}`);
    }
    await Deno.remove(this.#dir, { recursive: true });
  }

  /** Drop the previous outputs (the run succeeded; they are in the cache if they were cached). */
  async discard(): Promise<void> {
    await Deno.remove(this.#dir, { recursive: true });
  }

  /**
   * Put back every backup left by a runner that died mid-stage, except those of the stages in `keep`; returns the
   * stages recovered.
   *
   * @example
   * ```ts
   * for (const s of await OutputBackup.recover(root, tmpDir)) console.error(`restored outputs of ${s}`);
   * ```
   */
  static async recover(
    root: string,
    tmpDir: string,
    keep: ReadonlySet<string> = new Set(),
  ): Promise<string[]> {
    const recovered: string[] = [];
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(tmpDir));
    } catch {
      return recovered;
    }
    for (const e of entries) {
      const dir = `${tmpDir}/${e.name}`;
      let journal: Journal;
      try {
        journal = JSON.parse(await Deno.readTextFile(`${dir}/journal.json`));
      } catch {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        continue;
      }
      if (keep.has(journal.stage)) continue; // its run is still going: the runner reattaches to it
      await new OutputBackup(root, dir, journal).restore();
      recovered.push(journal.stage);
    }
    return recovered;
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
