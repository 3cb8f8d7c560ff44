/**
 * Stages die with the runner. Deno cannot set a parent-death signal (no `prctl`), and a stage runs in its own
 * session (`setsid`), so a runner killed with SIGKILL (or by the OOM killer) would leave it running. Beside
 * each command the local executor starts this watchdog: a tiny `bash` that ignores terminal signals and reads
 * a pipe whose only writer is the runner. The kernel closes that pipe however the runner dies, the read
 * returns end-of-file at once, and the watchdog sends SIGTERM to the stage's process group, then SIGKILL after
 * three seconds. When the stage ends normally the runner kills the watchdog first. No polling, no pid guessed.
 *
 * @example
 * ```ts
 * const watchdog = guardProcessGroup(child.pid);
 * await child.status;
 * await watchdog.release();
 * ```
 *
 * @module
 */

const SCRIPT = `trap '' INT HUP TERM QUIT
cat > /dev/null
kill -TERM -- "-$1" 2> /dev/null || exit 0
for _ in $(seq 30); do sleep 0.1; kill -0 -- "-$1" 2> /dev/null || exit 0; done
kill -KILL -- "-$1" 2> /dev/null
exit 0`;

/** A running watchdog over one process group. */
export interface GroupWatchdog {
  /** Stop watching (the group has ended, or the runner stopped it itself). */
  release(): Promise<void>;
}

/** Start a watchdog that ends process group `pgid` as soon as this process dies. */
export function guardProcessGroup(pgid: number): GroupWatchdog {
  const child = new Deno.Command("bash", {
    args: ["--noprofile", "--norc", "-c", SCRIPT, "pipeline-watchdog", String(pgid)],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  return {
    async release() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await writer.close().catch(() => {});
    },
  };
}
