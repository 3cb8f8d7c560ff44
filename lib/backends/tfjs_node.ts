/**
 * Optional native backend: `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` (backend name "tensorflow").
 *
 * Neither is in the import map: their install scripts download libtensorflow, which does not work here. They are
 * loaded only when already present, in `node_modules/` or in `.native/node_modules/` at the project root (where
 * `deno task setup:native` installs them with npm, scripts allowed), through a CommonJS `require` that `deno check`
 * does not follow, so an absent package costs nothing and never triggers a download. tfjs keeps its engine and
 * kernel registry in a global, so the package's own copy of tfjs-core 4.22 registers into ours.
 */
import { createRequire } from "node:module";

/** The packages we try, best first. */
export const TFJS_NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

/**
 * Loads the first installed tfjs-node package (it registers the "tensorflow" backend) and returns its name,
 * resolving from each place of `from` in turn (default: this module, then `.native/`). Throws listing why each
 * package failed when none loads.
 */
export function loadTfjsNode(
  from: readonly (string | URL)[] = [import.meta.url, new URL("../../.native/package.json", import.meta.url)],
): (typeof TFJS_NODE_PACKAGES)[number] {
  const requires = from.map((place) => createRequire(place));
  const reasons: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    const require = requires.find((r) => {
      try {
        r.resolve(pkg);
        return true;
      } catch {
        return false;
      }
    });
    if (!require) {
      reasons.push(
        `${pkg} is not installed (deno task setup:native installs it where libtensorflow can be fetched)`,
      );
      continue;
    }
    try {
      require(pkg);
      return pkg;
    } catch (e) {
      reasons.push(`${pkg} failed to load: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(`no TensorFlow native backend: ${reasons.join("; ")}`);
}
