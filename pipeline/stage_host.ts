/**
 * A persistent stage host: one long-lived Deno process that runs stage commands of the form
 * `deno run -A <module> <args>` one after another, in-process, for the persistent executor
 * (executors/persistent.ts). A stage that runs here skips process start-up, module compilation and whatever
 * its module set up once per process before (a GPU device, compiled shaders): the same work a fresh process
 * would do, done once per host.
 *
 * Protocol (started as `deno run -A pipeline/stage_host.ts <marker>`; one request at a time):
 * - a request is one JSON line on stdin: `{"module": "<absolute path>", "argv": [...], "cwd": "<dir>",
 *   "env": {...}}`; `env` is set for the request only (what the previous request set and this one lacks is
 *   removed), and the host changes to `cwd`;
 * - the module is imported (once per host) and its exported `main(argv)` called; it returns the exit code (a
 *   number; nothing means 0), and a throw is reported on stderr and counts as 1, as does a rejection nobody
 *   handles or an error thrown in a timer while the request runs (either would end a process of its own);
 * - a request with `"warm": true` only imports the module and calls its exported `warm()` if it has one (the
 *   set-up every run of the module begins with, such as a GPU device), ahead of the stages that will need it;
 *   the executor sends these before a host's first stage (executors/persistent.ts, `warm`);
 * - the end of the request is the line `<marker> <status>` written to stdout and then to stderr (so that the
 *   executor has every line of both streams before it): the exit code, or `ineligible` when the module exports
 *   no `main` function (the executor then runs the command as a process);
 * - end of stdin ends the host.
 *
 * A module that runs here must leave nothing behind that changes the next request: stages/support/entry.ts
 * does that for this project's stages. The host knows nothing of what the stages do.
 *
 * @example
 * ```ts
 * // executors/persistent.ts starts it and writes, e.g.:
 * // {"module":"/proj/stages/train.ts","argv":["--alpha","0","--seed","1"],"cwd":"/proj","env":{"PIPELINE_PARAMS":"{}"}}
 * ```
 *
 * @module
 */
import { pathToFileURL } from "node:url";

/** One request of the protocol. */
export interface StageHostRequest {
  readonly module: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Import the module and call its `warm()` (if exported) instead of `main`. */
  readonly warm?: boolean;
}

/** The status word of a module that exports no `main` function. */
export const INELIGIBLE = "ineligible";

type StageModule = { main?: unknown; warm?: unknown };

async function serve(marker: string): Promise<void> {
  const modules = new Map<string, Promise<StageModule>>();
  // What would end a stage's own process (a rejection nobody handles, an error thrown in a timer) fails the
  // request it happens in, instead of ending the host and, with it, whatever stage runs next.
  let stray: string | null = null;
  const onStray = (event: Event, reason: unknown) => {
    event.preventDefault();
    stray ??= reason instanceof Error ? reason.message : String(reason);
    console.error(`error: uncaught: ${stray}`);
  };
  globalThis.addEventListener("unhandledrejection", (e) => onStray(e, e.reason));
  globalThis.addEventListener("error", (e) => onStray(e, e.error));
  let requestEnv: string[] = [];
  const encoder = new TextEncoder();
  const finish = (status: string) => {
    const line = encoder.encode(`${marker} ${status}\n`);
    Deno.stdout.writeSync(line);
    Deno.stderr.writeSync(line);
  };
  let pending = "";
  const decoder = new TextDecoder();
  for await (const chunk of Deno.stdin.readable) {
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (!line.trim()) continue;
      const request = JSON.parse(line) as StageHostRequest;
      for (const key of requestEnv) if (!(key in request.env)) Deno.env.delete(key);
      for (const [key, value] of Object.entries(request.env)) Deno.env.set(key, value);
      requestEnv = Object.keys(request.env);
      Deno.chdir(request.cwd);
      stray = null;
      let status: string;
      try {
        if (!modules.has(request.module)) {
          modules.set(request.module, import(pathToFileURL(request.module).href));
        }
        const { main, warm } = await modules.get(request.module)!;
        if (request.warm) {
          if (typeof warm === "function") await warm();
          status = "0";
        } else if (typeof main !== "function") {
          status = INELIGIBLE;
        } else {
          const code = await main([...request.argv]);
          status = String(typeof code === "number" ? code : 0);
        }
      } catch (e) {
        console.error(e instanceof Error ? e.message : String(e));
        status = "1";
      }
      // Let a rejection of the stage's last moments surface (Deno reports them after a macrotask turn).
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (stray !== null && status !== INELIGIBLE) status = "1";
      finish(status);
    }
  }
}

if (import.meta.main) {
  const marker = Deno.args[0];
  if (!marker) {
    console.error(
      "stage_host.ts: the end-of-request marker is required (executors/persistent.ts starts this)",
    );
    Deno.exit(2);
  }
  await serve(marker);
  Deno.exit(0);
}
