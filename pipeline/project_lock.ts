/**
 * One `repro` at a time per project: an exclusive advisory lock (flock) on `.pipeline/repro.lock`. The kernel
 * drops it when the holder exits, however it exits, so a crash never leaves a stale lock. A second `repro` waits
 * and says so; read-only commands never take it.
 *
 * @module
 */

/**
 * Hold the project's repro lock until the returned handle is disposed.
 *
 * @example
 * ```ts
 * using _lock = await acquireReproLock(".pipeline", (msg) => console.error(msg));
 * ```
 */
export async function acquireReproLock(dir: string, onWait: (message: string) => void): Promise<Disposable> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/repro.lock`;
  const file = await Deno.open(path, { read: true, write: true, create: true });
  const locked = file.lock(true);
  const notice = setTimeout(() => {
    const holder = Deno.readTextFileSync(path).trim() || "unknown";
    onWait(
      `another repro (pid ${holder}) is running in this project; waiting for it to finish (Ctrl-C to stop)`,
    );
  }, 300);
  try {
    await locked;
  } finally {
    clearTimeout(notice);
  }
  await file.truncate(0);
  await file.write(new TextEncoder().encode(String(Deno.pid)));
  return {
    [Symbol.dispose]() {
      try {
        file.truncateSync(0);
        file.unlockSync();
      } finally {
        file.close();
      }
    },
  };
}
