/**
 * Which root-relative paths a stage may own as an out. The runner moves outs aside before a run and deletes
 * what a failed run left there, so an out that is, or contains, the project root, the runner's own files or a
 * git directory would let one typo delete the project. Both the parser and backup recovery ask this module.
 *
 * @example
 * ```ts
 * forbiddenOutReason("outputs/model"); // undefined
 * forbiddenOutReason(""); // "is the project root"
 * forbiddenOutReason("x/.git/config"); // "lies inside a '.git' directory"
 * ```
 *
 * @module
 */

/** Files at the project root that belong to the runner (never an out). */
const RUNNER_FILES: readonly string[] = ["pipeline.yaml", "params.yaml", "pipeline.lock"];

/** Directory names no out may be, contain or lie inside, at any depth. */
const RUNNER_DIRS = [".git", ".pipeline"];

/**
 * Why `path` (a normalised root-relative posix path) may not be an out, or undefined when it may.
 * Non-normalised paths (`.`, `..` segments, absolute, empty segments) are refused too, so a caller holding an
 * unchecked path from a file on disk can rely on the answer.
 */
export function forbiddenOutReason(path: string): string | undefined {
  if (path === "" || path === ".") return "is the project root";
  if (path.startsWith("/")) return "is absolute";
  const segments = path.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    return "is not a normalised path inside the project";
  }
  const dir = segments.find((s) => RUNNER_DIRS.includes(s));
  if (dir) return `${segments.length === 1 ? "is" : "lies inside"} a '${dir}' directory`;
  if (segments.length === 1 && RUNNER_FILES.includes(path)) return `is the runner's file ${path}`;
  return undefined;
}
