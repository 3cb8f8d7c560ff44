/**
 * Reading files from git revisions, and the default revision to compare against.
 *
 * @module
 */

async function git(cwd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "null" }).output();
    return { ok: r.success, out: new TextDecoder().decode(r.stdout) };
  } catch {
    return { ok: false, out: "" };
  }
}

/**
 * The text of `path` (relative to `root`) at git revision `rev`, or undefined if it is not there.
 *
 * @example
 * ```ts
 * await gitShow(".", "HEAD", "params.yaml");
 * ```
 */
export async function gitShow(root: string, rev: string, path: string): Promise<string | undefined> {
  const r = await git(root, ["show", `${rev}:./${path}`]);
  return r.ok ? r.out : undefined;
}

/** Whether `rev` names a commit. */
export async function revExists(root: string, rev: string): Promise<boolean> {
  return (await git(root, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`])).ok;
}

/**
 * The merge base of HEAD with the pull request's base branch (`GITHUB_BASE_REF`,
 * `CI_MERGE_REQUEST_TARGET_BRANCH_NAME`) or the default branch (origin/HEAD, origin/main, origin/master, main,
 * master); HEAD when none is found (on the default branch itself, the merge base is HEAD too).
 *
 * @example
 * ```ts
 * const base = await mergeBaseWithDefaultBranch("."); // "3f2a…" on a feature branch
 * ```
 */
export async function mergeBaseWithDefaultBranch(root: string): Promise<string> {
  const target = Deno.env.get("GITHUB_BASE_REF") ?? Deno.env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME");
  const originHead = (await git(root, ["symbolic-ref", "--short", "refs/remotes/origin/HEAD"])).out.trim();
  const candidates = [
    ...(target ? [`origin/${target}`, target] : []),
    ...(originHead ? [originHead] : []),
    "origin/main",
    "origin/master",
    "main",
    "master",
  ];
  for (const branch of candidates) {
    const mb = await git(root, ["merge-base", "HEAD", branch]);
    if (mb.ok && mb.out.trim()) return mb.out.trim();
  }
  return "HEAD";
}

/**
 * The revision `params diff` and `metrics diff` compare with when none is given: HEAD, or in CI (`CI` set) the
 * merge base with the base branch ({@link mergeBaseWithDefaultBranch}).
 *
 * @example
 * ```ts
 * const base = await defaultBaseRev("."); // "HEAD" locally
 * ```
 */
export async function defaultBaseRev(root: string): Promise<string> {
  return Deno.env.get("CI") ? await mergeBaseWithDefaultBranch(root) : "HEAD";
}
