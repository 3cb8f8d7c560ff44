/**
 * Glob patterns for deps: `*`, `?`, `[abc]` within a path segment and `**` across segments.
 *
 * @module
 */

/** Whether a path string is a glob pattern rather than a literal path. */
export function isGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/**
 * A RegExp matching the whole of a posix relative path.
 *
 * @example
 * ```ts
 * globToRegExp("src/**\/*.ts").test("src/a/b.ts"); // true
 * ```
 */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      re += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        re += "[" + glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\") + "]";
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** The literal directory before the first glob character (`""` for the root). */
export function globBase(glob: string): string {
  const first = glob.search(/[*?[]/);
  const prefix = first < 0 ? glob : glob.slice(0, first);
  const slash = prefix.lastIndexOf("/");
  return slash < 0 ? "" : prefix.slice(0, slash);
}

/**
 * Files under `root` whose root-relative posix path matches `glob`, sorted.
 *
 * @example
 * ```ts
 * await expandGlob(".", "stages/*.ts"); // ["stages/prepare_data.ts", "stages/train.ts"]
 * ```
 */
export async function expandGlob(root: string, glob: string): Promise<string[]> {
  const re = globToRegExp(glob);
  const base = globBase(glob);
  const out: string[] = [];
  const walk = async (rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(rel ? `${root}/${rel}` : root));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return;
      throw e;
    }
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory) {
        if (entry.name !== ".git" && entry.name !== ".pipeline") await walk(path);
      } else if (re.test(path)) out.push(path);
    }
  };
  await walk(base);
  return out.sort();
}
