/**
 * Peak resident memory of a process group, sampled from `/proc` (Linux): every process whose session is the
 * group leader's pid (the local executor starts each command with `setsid`) is summed, once a second, and the
 * largest sum kept. Elsewhere (no `/proc`) the peak stays undefined.
 *
 * @example
 * ```ts
 * const sampler = new RssSampler(child.pid);
 * await child.status;
 * const peakKb = sampler.stop(); // e.g. 812340, or undefined without /proc
 * ```
 *
 * @module
 */

/** Samples the summed RSS of the session led by `sid` until stopped. */
export class RssSampler {
  #peak: number | undefined;
  #timer: ReturnType<typeof setInterval>;

  constructor(readonly sid: number, intervalMs = 1000) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  /** Stop sampling; the peak summed RSS in KiB seen, or undefined when none could be read. */
  stop(): number | undefined {
    clearInterval(this.#timer);
    this.#sample();
    return this.#peak;
  }

  #sample() {
    const kb = sessionRssKb(this.sid);
    if (kb !== undefined && kb > (this.#peak ?? 0)) this.#peak = kb;
  }
}

/** The summed VmRSS (KiB) of the live processes of session `sid`, or undefined without `/proc`. */
export function sessionRssKb(sid: number): number | undefined {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync("/proc")];
  } catch {
    return undefined;
  }
  let total = 0;
  for (const e of entries) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      // Fields after the parenthesised command name: state ppid pgrp session …
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[3]) !== sid) continue;
      const m = Deno.readTextFileSync(`/proc/${e.name}/status`).match(/^VmRSS:\s+(\d+) kB/m);
      if (m) total += Number(m[1]);
    } catch { /* the process ended meanwhile */ }
  }
  return total;
}
