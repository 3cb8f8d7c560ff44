/**
 * Optional native backend: `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` (backend name "tensorflow").
 *
 * Neither is in the import map: their install scripts download libtensorflow, which does not work here. They are
 * loaded only when already present in `node_modules/`, through a CommonJS `require` that `deno check` does not
 * follow, so an absent package costs nothing and never triggers a download.
 */
import { createRequire } from "node:module";

/** The packages we try, best first. */
export const TFJS_NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

/**
 * Loads the first installed tfjs-node package (it registers the "tensorflow" backend) and returns its name.
 * Throws listing why each package failed when none loads.
 */
export function loadTfjsNode(): (typeof TFJS_NODE_PACKAGES)[number] {
  const require = createRequire(import.meta.url);
  const reasons: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      require.resolve(pkg);
    } catch {
      reasons.push(`${pkg} is not installed`);
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
