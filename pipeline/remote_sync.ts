/**
 * The remote commands: `push`, `fetch`, `pull` (fetch, then check out into the workspace), `status --remote`,
 * and the source `repro --pull` restores from. Which objects move is decided from the lock (the outputs of the
 * selected stages) and, with `runCache`, from the run-cache.
 *
 * @module
 */
import { type Digested, isDirDigest } from "./cache.ts";
import { pickRemote } from "./config.ts";
import { PipelineError } from "./errors.ts";
import { selectStages } from "./graph.ts";
import type { LockEntry } from "./lock.ts";
import type { Project, RemoteSource } from "./project.ts";
import { openRemote, type Remote } from "./remotes/remote.ts";
import {
  closure,
  fetchObjects,
  fetchRunCache,
  objectKey,
  pushObjects,
  pushRunCache,
  type TransferProgress,
  type TransferReport,
} from "./transfer.ts";

/** Options shared by the remote commands. */
export interface SyncOptions {
  /** Stage or group names; empty for all stages in the lock. */
  readonly targets: readonly string[];
  /** Also the stages upstream of the named ones (as DVC's `--with-deps`); without it, only those named. */
  readonly withDeps?: boolean;
  /** A declared remote's name or a URL; undefined for the default remote. */
  readonly remote?: string;
  /** Transfers at once. */
  readonly jobs: number;
  /**
   * Also move run-cache entries (push: the selected stages' entries, or all complete local entries when no
   * stage is named; fetch/pull: all remote entries).
   */
  readonly runCache: boolean;
  /** Shows objects, bytes and rate while copying. */
  readonly progress?: (verb: string) => TransferProgress;
}

/** What a pull did besides fetching. */
export interface PullReport extends TransferReport {
  /** Outputs put into the workspace. */
  readonly checkedOut: readonly string[];
  /** Outputs left alone, with why. */
  readonly kept: readonly string[];
}

/** Open the remote that `opts` names (or the default), with the project's config. */
export async function openProjectRemote(
  project: Project,
  name: string | undefined,
  jobs: number,
): Promise<Remote> {
  return await openRemote(pickRemote(project.sharing, name), project.root, jobs);
}

/** The lock entries of the selected stages (stages never run have none). */
function selectedEntries(project: Project, opts: SyncOptions): [string, LockEntry][] {
  return selectStages(project.graph, opts.targets, opts.withDeps ?? false)
    .filter((name) => project.lock[name])
    .map((name) => [name, project.lock[name]]);
}

function outsOf(entries: Iterable<[string, LockEntry]>): Digested[] {
  return [...entries].flatMap(([, e]) => Object.values(e.outs));
}

/**
 * Upload the selected stages' outputs (and with `runCache` the run-cache) that the remote lacks.
 *
 * @example
 * ```ts
 * const r = await push(project, { targets: [], jobs: 8, runCache: true });
 * console.log(`${r.copied} objects pushed`);
 * ```
 */
export async function push(project: Project, opts: SyncOptions): Promise<PushReport> {
  const remote = await openProjectRemote(project, opts.remote, opts.jobs);
  try {
    const selected = selectedEntries(project, opts);
    const digests = closure(project.objects, outsOf(selected));
    // With stages named, only their run-cache entries go (those of their stage keys); else every complete one.
    const keys = opts.targets.length ? new Set(selected.map(([, e]) => e.key)) : undefined;
    if (opts.runCache) {
      for (const { entry } of project.runs.all()) {
        const outs = Object.values(entry.outs);
        if ((!keys || keys.has(entry.key)) && outs.length && outs.every((o) => project.objects.hasAll(o))) {
          closure(project.objects, outs, digests);
        }
      }
    }
    const report = await pushObjects(project.objects, remote, digests, {
      jobs: opts.jobs,
      progress: opts.progress?.("pushed"),
    });
    if (report.damaged.length) {
      throw new PipelineError(
        `${report.damaged.length} local cache objects are damaged and were not pushed ` +
          `(first: ${report.damaged[0].slice(0, 12)}); run 'repro' to recompute them, then push again`,
      );
    }
    const runs = opts.runCache
      ? (await pushRunCache(project.runs, remote, { jobs: opts.jobs, keys })).copied
      : 0;
    // Only when something was missing: which stages it belongs to (a second walk of their objects).
    const unmade = report.missing.length === 0 ? [] : selected
      .filter(([, e]) => !Object.values(e.outs).every((o) => project.objects.hasAll(o)))
      .map(([name]) => name);
    return { ...report, runs, unmade };
  } finally {
    await remote.close();
  }
}

/** What {@link push} did. */
export interface PushReport extends TransferReport {
  /** Run-cache entries copied. */
  readonly runs: number;
  /**
   * Selected stages whose locked outputs this cache does not hold in full (the lock came with a clone, or a run
   * stopped before them): their missing objects are the report's `missing`.
   */
  readonly unmade: readonly string[];
}

/**
 * Download the selected stages' outputs the local cache lacks (and with `runCache` the remote's run-cache).
 *
 * @example
 * ```ts
 * const r = await fetch(project, { targets: ["train"], jobs: 8, runCache: false });
 * ```
 */
export async function fetch(project: Project, opts: SyncOptions): Promise<TransferReport> {
  const remote = await openProjectRemote(project, opts.remote, opts.jobs);
  try {
    return await fetchWith(project, remote, opts);
  } finally {
    await remote.close();
  }
}

async function fetchWith(project: Project, remote: Remote, opts: SyncOptions): Promise<TransferReport> {
  const report = await fetchObjects(project.objects, remote, outsOf(selectedEntries(project, opts)), {
    jobs: opts.jobs,
    progress: opts.progress?.("fetched"),
  });
  if (opts.runCache) {
    const runs = await fetchRunCache(project.runs, remote, { jobs: opts.jobs });
    return { ...report, damaged: [...report.damaged, ...runs.damaged] };
  }
  return report;
}

/**
 * Fetch, then check out every selected output whose objects are all in the cache. An output that differs from
 * the lock and whose current content is not in the cache is kept (it would be lost), unless `force`.
 *
 * @example
 * ```ts
 * const r = await pull(project, { targets: [], jobs: 8, runCache: false }, false);
 * ```
 */
export async function pull(project: Project, opts: SyncOptions, force: boolean): Promise<PullReport> {
  const remote = await openProjectRemote(project, opts.remote, opts.jobs);
  let report: TransferReport;
  try {
    report = await fetchWith(project, remote, opts);
  } finally {
    await remote.close();
  }
  const checkedOut: string[] = [], kept: string[] = [];
  for (const [stage, entry] of selectedEntries(project, opts)) {
    for (const [path, rec] of Object.entries(entry.outs)) {
      if (!project.objects.hasAll(rec)) {
        kept.push(`${path} (stage '${stage}'): not on the remote or damaged there; not checked out`);
        continue;
      }
      const now = await project.hasher.node(path);
      if (now?.digest === rec.digest) continue;
      if (now && !force && !project.objects.has(now.digest)) {
        kept.push(
          `${path} (stage '${stage}'): modified in the workspace and not cached; kept (pull --force)`,
        );
        continue;
      }
      await project.objects.checkout(project.root, path, rec, project.hasher);
      checkedOut.push(path);
    }
  }
  return { ...report, checkedOut, kept };
}

/** One stage's objects: how many, and how many each side lacks. */
export interface RemoteStatusRow {
  readonly stage: string;
  readonly objects: number;
  readonly missingLocally: number;
  readonly missingOnRemote: number;
  /** Objects whose digest is unknown because a directory manifest is on neither side. */
  readonly unknown: boolean;
}

/**
 * For each selected stage in the lock: its outputs' objects and which side lacks them.
 *
 * @example
 * ```ts
 * for (const row of await remoteStatus(project, { targets: [], jobs: 8, runCache: false })) console.log(row);
 * ```
 */
export async function remoteStatus(project: Project, opts: SyncOptions): Promise<RemoteStatusRow[]> {
  const remote = await openProjectRemote(project, opts.remote, opts.jobs);
  try {
    const present = await remote.list("objects/");
    return selectedEntries(project, opts).map(([stage, entry]) => {
      const digests = closure(project.objects, Object.values(entry.outs));
      const unknown = Object.values(entry.outs).some((o) => isDirDigest(o) && !project.objects.hasAll(o));
      let missingLocally = 0, missingOnRemote = 0;
      for (const d of digests) {
        if (!project.objects.has(d)) missingLocally++;
        if (!present.has(objectKey(d))) missingOnRemote++;
      }
      return { stage, objects: digests.size, missingLocally, missingOnRemote, unknown };
    });
  } finally {
    await remote.close();
  }
}

/**
 * For `repro --pull`: fetch the remote's run-cache entries now, and objects later as stages need them. Close
 * the returned remote when the run ends.
 *
 * @example
 * ```ts
 * const { source, remote } = await remoteSource(project, { targets: [], jobs: 8, runCache: true });
 * project.remoteSource = source;
 * ```
 */
export async function remoteSource(
  project: Project,
  opts: SyncOptions,
): Promise<{ source: RemoteSource; remote: Remote }> {
  const remote = await openProjectRemote(project, opts.remote, opts.jobs);
  await fetchRunCache(project.runs, remote, { jobs: opts.jobs });
  const source: RemoteSource = {
    fetchOuts: async (outs) => {
      const r = await fetchObjects(project.objects, remote, Object.values(outs), {
        jobs: opts.jobs,
        progress: opts.progress?.("fetched"),
      });
      return r.missing.length === 0 && r.damaged.length === 0;
    },
  };
  return { source, remote };
}

/**
 * One line summing up a transfer, and an error for what could not be moved (missing or damaged objects).
 *
 * @example
 * ```ts
 * const { line, problem } = summarize("pushed", report, "the local cache");
 * ```
 */
export function summarize(
  verb: string,
  r: TransferReport,
  source: string,
): { line: string; problem?: string } {
  const line = `${verb} ${r.copied} objects (${
    (r.bytes / 2 ** 20).toFixed(1)
  } MiB); ${r.skipped} already there`;
  const parts: string[] = [];
  if (r.missing.length) {
    parts.push(`${r.missing.length} objects are not in ${source} (first: ${r.missing[0].slice(0, 12)})`);
  }
  if (r.damaged.length) {
    parts.push(
      `${r.damaged.length} arrived damaged and were not kept (first: ${r.damaged[0].slice(0, 12)}); ` +
        `push them again from a clone that has them`,
    );
  }
  return { line, problem: parts.length ? parts.join("; ") : undefined };
}
