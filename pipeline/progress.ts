/**
 * What the user sees while stages run. On a terminal: a live block with each running stage, its elapsed time
 * and its last log line. Otherwise (CI, pipes): plain lines, each stage's output prefixed with its name.
 *
 * @module
 */

/** Receives the runner's events. */
export interface Reporter {
  /** A message about the run as a whole. */
  info(message: string): void;
  /** A stage starts running or restoring. */
  start(stage: string, what: string): void;
  /** A line of a running stage's output. */
  line(stage: string, line: string): void;
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

/** Plain lines, for logs and CI. */
export class PlainReporter implements Reporter {
  #write(s: string) {
    console.log(s);
  }
  info(message: string) {
    this.#write(message);
  }
  start(stage: string, what: string) {
    this.#write(`▶ ${stage}: ${what}`);
  }
  line(stage: string, line: string) {
    this.#write(`  ${stage} │ ${line}`);
  }
  status(stage: string, status: string) {
    this.#write(`  ${stage} ⋯ ${status}`);
  }
  finish(stage: string, ok: boolean, summary: string) {
    this.#write(`${ok ? "✓" : "✗"} ${stage}: ${summary}`);
  }
  close() {}
}

/** A live status block redrawn four times a second. */
export class LiveReporter implements Reporter {
  #running = new Map<string, { since: number; last: string; status?: string }>();
  #drawn = 0;
  #timer = setInterval(() => this.#draw(), 250);
  #enc = new TextEncoder();

  info(message: string) {
    this.#above(message);
  }
  start(stage: string, what: string) {
    this.#above(`▶ ${stage}: ${what}`);
    this.#running.set(stage, { since: performance.now(), last: "" });
    this.#draw();
  }
  line(stage: string, line: string) {
    const r = this.#running.get(stage);
    if (r) r.last = line;
  }
  status(stage: string, status: string) {
    const r = this.#running.get(stage);
    if (r) r.status = status;
  }
  finish(stage: string, ok: boolean, summary: string) {
    this.#running.delete(stage);
    this.#above(`${ok ? "\x1b[32m✓\x1b[0m" : "\x1b[31m✗\x1b[0m"} ${stage}: ${summary}`);
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
    const width = Deno.consoleSize?.().columns ?? 100;
    const lines = [...this.#running].map(([stage, r]) => {
      const secs = ((performance.now() - r.since) / 1000).toFixed(0).padStart(4);
      return `  ⏳ ${stage} ${secs}s ${r.status ? ` [${r.status}]` : ""} ${r.last}`.slice(0, width - 1);
    });
    if (lines.length) Deno.stdout.writeSync(this.#enc.encode(lines.join("\n") + "\n"));
    this.#drawn = lines.length;
  }
}
