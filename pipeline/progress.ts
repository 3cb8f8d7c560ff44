/**
 * What the user sees while stages run. On a terminal: a live block with a header `[done/total]`, elapsed time and
 * an ETA, then each running stage with its elapsed time and either a progress bar (when the stage reports
 * progress) or its last log line. Otherwise (CI, pipes): plain lines, each stage's output prefixed with its name,
 * its progress at most once per `plainEveryMs`, and `[done/total]` on each finished stage.
 *
 * Stages report progress through a line protocol: the runner names a file in `PIPELINE_PROGRESS`, the stage
 * appends JSON lines `{"done": 3, "total": 10, "label": "epoch 3/10"}` (stages/support/progress.ts), and
 * {@link ProgressFileTail} feeds the latest to the reporter.
 *
 * @module
 */
/** Environment variable naming the file a stage appends its progress lines to. */
export const PROGRESS_ENV = "PIPELINE_PROGRESS";

/** One progress update of a stage: `done` of `total` units, and what it is doing. */
export interface ProgressUpdate {
  readonly done: number;
  readonly total: number;
  readonly label?: string;
}

/**
 * Parse one protocol line; undefined for a line that is not a valid update (ignored, never fatal).
 *
 * @example
 * ```ts
 * parseProgressLine('{"done":1,"total":4,"label":"fgsm"}'); // { done: 1, total: 4, label: "fgsm" }
 * ```
 */
export function parseProgressLine(line: string): ProgressUpdate | undefined {
  let v: { done?: unknown; total?: unknown; label?: unknown };
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== "object") return undefined;
  const { done, total, label } = v;
  if (typeof done !== "number" || !(done >= 0) || typeof total !== "number" || !(total > 0)) return undefined;
  if (label !== undefined && typeof label !== "string") return undefined;
  return label === undefined ? { done, total } : { done, total, label };
}

/** Follows a progress file while a stage runs, calling `onUpdate` with each complete valid line. */
export class ProgressFileTail {
  #offset = 0;
  #pending = "";
  #timer: ReturnType<typeof setInterval>;
  #decoder = new TextDecoder();

  constructor(readonly path: string, readonly onUpdate: (u: ProgressUpdate) => void, intervalMs = 250) {
    this.#timer = setInterval(() => this.poll(), intervalMs);
  }

  /** Read what was appended since the last poll. */
  poll(): void {
    let bytes: Uint8Array;
    try {
      using f = Deno.openSync(this.path, { read: true });
      f.seekSync(this.#offset, Deno.SeekMode.Start);
      const chunks: Uint8Array[] = [];
      const buf = new Uint8Array(65536);
      for (let n = f.readSync(buf); n !== null && n > 0; n = f.readSync(buf)) chunks.push(buf.slice(0, n));
      bytes = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
      let at = 0;
      for (const c of chunks) bytes.set(c, (at += c.length) - c.length);
    } catch {
      return; // not written yet
    }
    this.#offset += bytes.length;
    const lines = (this.#pending + this.#decoder.decode(bytes, { stream: true })).split("\n");
    this.#pending = lines.pop()!;
    let last: ProgressUpdate | undefined;
    for (const line of lines) last = parseProgressLine(line) ?? last;
    if (last) this.onUpdate(last);
  }

  /** Stop following (after a last poll). */
  stop(): void {
    clearInterval(this.#timer);
    this.poll();
  }
}

/** What a stage that does work does: runs its command, or restores its outputs from the cache or a remote. */
export type StageAction = "run" | "restore";

/** Receives the runner's events. */
export interface Reporter {
  /** A message about the run as a whole. */
  info(message: string): void;
  /** How many stages this run considers (each later settles once: up to date, ran, restored, failed, skipped). */
  begin(total: number): void;
  /** A stage needed no work (up to date or frozen), or was skipped. */
  settle(stage: string): void;
  /** A stage starts running or restoring (`action`); `what` says why. */
  start(stage: string, action: StageAction, what: string): void;
  /** A line of a running stage's output. */
  line(stage: string, line: string): void;
  /** A running stage reported progress. */
  progress(stage: string, update: ProgressUpdate): void;
  /** The executor's state of a running stage (e.g. "job 12 RUNNING on node7"), when it has one. */
  status?(stage: string, status: string): void;
  /** A stage ended; `ok` false for failures. */
  finish(stage: string, ok: boolean, summary: string): void;
  /** Stop any live display. */
  close(): void;
}

/** A reporter suited to where output goes: live on a terminal, plain otherwise. */
export function makeReporter(): Reporter {
  return Deno.stdout.isTerminal() && !Deno.env.get("CI") ? new LiveReporter() : new PlainReporter();
}

/**
 * Counts of a run and its time estimate. The ETA extrapolates the elapsed time over the stages that run:
 * `elapsed × (1 − f) / f`, where `f` is the finished fraction of them, running stages counted by the share of
 * their work done in this run. Two kinds of stage would skew it, and are left out:
 * - stages that need no work, and restored ones (a restore takes a second; counting it as a share of the work
 *   would make a run that restores most of its stages look nearly done);
 * - the part of a stage's work done before this run: a training that resumes at epoch 9 of 16 reports 50 % at
 *   once, so its share is measured from its first report (`(p − p₀) / (1 − p₀)`).
 *
 * @example
 * ```ts
 * const t = new Tally();
 * t.total = 2;
 * t.started("train", "run");
 * t.progressed("train", { done: 8, total: 16 }); // resumed: 0 % of this run's work
 * ```
 */
export class Tally {
  total = 0;
  settled = 0;
  #ran = 0;
  #idle = 0;
  #since = performance.now();
  #running = new Map<string, { first?: number; share: number }>();

  constructor(readonly now: () => number = () => performance.now()) {
    this.#since = now();
  }

  /** A stage started working. */
  started(stage: string, action: StageAction) {
    if (action === "run") this.#running.set(stage, { share: 0 });
  }
  /** A working stage reported progress. */
  progressed(stage: string, u: ProgressUpdate) {
    const r = this.#running.get(stage);
    if (!r) return;
    const p = Math.min(1, u.done / u.total);
    r.first ??= p;
    r.share = r.first < 1 ? Math.max(0, (p - r.first) / (1 - r.first)) : 1;
  }
  /** A stage settled: it ran (or failed running) when it had `started` with "run"; otherwise it counts as idle. */
  done(stage: string) {
    this.settled++;
    if (this.#running.delete(stage)) this.#ran++;
    else this.#idle++;
  }
  /** Seconds since the run began. */
  elapsed(): number {
    return (this.now() - this.#since) / 1000;
  }
  /** Estimated seconds left, or undefined before any work has been measured. */
  eta(): number | undefined {
    const working = this.total - this.#idle;
    const running = [...this.#running.values()].reduce((a, r) => a + r.share, 0);
    const f = working > 0 ? (this.#ran + running) / working : 0;
    if (f <= 0) return undefined;
    return this.elapsed() * (1 - f) / f;
  }
  /** `[done/total] 1m04s elapsed, ETA 2m10s`. */
  header(): string {
    const eta = this.eta();
    return `[${this.settled}/${this.total}] ${clock(this.elapsed())} elapsed, ETA ${
      eta === undefined ? "—" : clock(eta)
    }`;
  }
}

/** `75` → `1m15s`, `3700` → `1h01m`. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

/** The terminal's width; 100 where it reports none (a pseudo-terminal without a size reports 0). */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || 100;
  } catch {
    return 100;
  }
}

/** A text bar, e.g. `[█████░░░░░]  52% epoch 3/6`. */
export function progressBar(u: ProgressUpdate, width = 20): string {
  const f = Math.min(1, Math.max(0, u.done / u.total));
  const full = Math.round(f * width);
  return `[${"█".repeat(full)}${"░".repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}%${
    u.label ? ` ${u.label}` : ""
  }`;
}

/** Plain lines, for logs and CI. */
export class PlainReporter implements Reporter {
  readonly tally: Tally;
  #lastProgress = new Map<string, number>();

  /** `write` receives each line; progress of a stage is printed at most once per `plainEveryMs`. */
  constructor(
    readonly write: (s: string) => void = (s) => console.log(s),
    readonly plainEveryMs = 10_000,
    now: () => number = () => performance.now(),
  ) {
    this.tally = new Tally(now);
  }
  info(message: string) {
    this.write(message);
  }
  begin(total: number) {
    this.tally.total = total;
  }
  settle(stage: string) {
    this.tally.done(stage);
  }
  start(stage: string, action: StageAction, what: string) {
    this.tally.started(stage, action);
    this.write(`▶ ${stage}: ${what}`);
  }
  line(stage: string, line: string) {
    this.write(`  ${stage} │ ${line}`);
  }
  progress(stage: string, update: ProgressUpdate) {
    this.tally.progressed(stage, update);
    const now = this.tally.now();
    const last = this.#lastProgress.get(stage);
    if (last !== undefined && now - last < this.plainEveryMs) return;
    this.#lastProgress.set(stage, now);
    this.write(`  ${stage} │ progress ${progressBar(update, 10)} (${this.tally.header()})`);
  }
  status(stage: string, status: string) {
    this.write(`  ${stage} ⋯ ${status}`);
  }
  finish(stage: string, ok: boolean, summary: string) {
    this.tally.done(stage);
    this.#lastProgress.delete(stage);
    this.write(`[${this.tally.settled}/${this.tally.total}] ${ok ? "✓" : "✗"} ${stage}: ${summary}`);
  }
  close() {}
}

/** A live status block redrawn four times a second. */
export class LiveReporter implements Reporter {
  readonly tally = new Tally();
  #running = new Map<string, { since: number; last: string; progress?: ProgressUpdate; status?: string }>();
  #drawn = 0;
  #timer = setInterval(() => this.#draw(), 250);
  #enc = new TextEncoder();

  info(message: string) {
    this.#above(message);
  }
  begin(total: number) {
    this.tally.total = total;
  }
  settle(stage: string) {
    this.tally.done(stage);
  }
  start(stage: string, action: StageAction, what: string) {
    this.tally.started(stage, action);
    this.#above(`▶ ${stage}: ${what}`);
    this.#running.set(stage, { since: performance.now(), last: "" });
    this.#draw();
  }
  line(stage: string, line: string) {
    const r = this.#running.get(stage);
    if (r) r.last = line;
  }
  progress(stage: string, update: ProgressUpdate) {
    this.tally.progressed(stage, update);
    const r = this.#running.get(stage);
    if (r) r.progress = update;
  }
  status(stage: string, status: string) {
    const r = this.#running.get(stage);
    if (r) r.status = status;
  }
  finish(stage: string, ok: boolean, summary: string) {
    this.tally.done(stage);
    this.#running.delete(stage);
    this.#above(
      `[${this.tally.settled}/${this.tally.total}] ${
        ok ? "\x1b[32m✓\x1b[0m" : "\x1b[31m✗\x1b[0m"
      } ${stage}: ${summary}`,
    );
  }
  close() {
    clearInterval(this.#timer);
    this.#clear();
  }

  #above(message: string) {
    this.#clear();
    Deno.stdout.writeSync(this.#enc.encode(message + "\n"));
    this.#draw();
  }
  #clear() {
    if (this.#drawn > 0) Deno.stdout.writeSync(this.#enc.encode(`\x1b[${this.#drawn}A\x1b[J`));
    this.#drawn = 0;
  }
  #draw() {
    this.#clear();
    const width = terminalColumns();
    const lines = [...this.#running].map(([stage, r]) => {
      const secs = clock((performance.now() - r.since) / 1000).padStart(6);
      const what = r.progress ? progressBar(r.progress) : r.last;
      return `  ⏳ ${stage} ${secs}${r.status ? ` [${r.status}]` : ""}  ${what}`.slice(0, width - 1);
    });
    if (lines.length) lines.unshift(`  ${this.tally.header()}`.slice(0, width - 1));
    if (lines.length) Deno.stdout.writeSync(this.#enc.encode(lines.join("\n") + "\n"));
    this.#drawn = lines.length;
  }
}
