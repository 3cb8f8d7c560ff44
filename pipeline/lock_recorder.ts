/**
 * Records finished stages in the lock, coalescing rewrites: each recorded stage waits for a rewrite that holds
 * its entry, and the stages recorded while a rewrite is under way share the next one, which starts when that
 * ends. Stages that end together cost one rewrite rather than one each (a rewrite formats the whole lock: ~40 ms
 * for this project's 75 stages).
 *
 * @example
 * ```ts
 * const recorder = new LockRecorder(project.lock, (lock) => writeLock(project.root, lock));
 * await recorder.record("train@0-1", entry); // the lock on disk holds the entry now
 * await recorder.settled(); // at the end of the run
 * ```
 *
 * @module
 */
import type { Lock, LockEntry } from "./lock.ts";

/** See the module doc. */
export class LockRecorder {
  #writes: Promise<void> = Promise.resolve();
  /** A rewrite asked for but not started: stages recorded now join it. */
  #queued: Promise<void> | null = null;

  /** `write` rewrites the whole lock from `lock` as it is when called. */
  constructor(readonly lock: Lock, readonly write: (lock: Lock) => Promise<void>) {}

  /**
   * Puts `entry` in the lock and resolves once a rewrite holding it has ended; rejects if that rewrite failed
   * (the rewrites after it still run).
   */
  record(name: string, entry: LockEntry): Promise<void> {
    this.lock[name] = entry;
    if (this.#queued) return this.#queued;
    const rewrite = this.#writes.catch(() => {}).then(() => {
      this.#queued = null; // entries recorded from here on need the next rewrite
      return this.write(this.lock);
    });
    this.#queued = rewrite;
    this.#writes = rewrite;
    return rewrite;
  }

  /** Resolves when every rewrite asked for has ended, failed ones included. */
  settled(): Promise<void> {
    return this.#writes.catch(() => {});
  }
}
