/**
 * Micro-benchmark: measure-dimensionality's symmetric eigensolver (lib/linalg/symmetric_eigen.ts: the
 * Householder reduction in wasm SIMD, QL in JavaScript) against NumPy's `eigvalsh` (LAPACK), both on one
 * thread, on the same seeded Gram matrices of the default run's size (N = 300 samples) and the paper's
 * (N = 2000 is slow; pass `--n 2000`). Prints, per size, the best of `--reps` passes in ms per matrix for each,
 * the ratio NumPy ÷ ours (above 1: ours is faster), and the largest relative difference of the eigenvalues
 * above 1e-9 of the largest (both are float64; the difference is round-off).
 *
 * Usage: deno run -A bench/eigen.ts [--n 300,500] [--count 8] [--reps 5]   (needs python3 with numpy)
 *
 * @module
 */
import { parseArgs } from "node:util";
import { symmetricEigenvalues } from "../lib/linalg/symmetric_eigen.ts";
import { Rng } from "../lib/random.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", default: "300,500" },
    count: { type: "string", default: "8" },
    reps: { type: "string", default: "5" },
  },
});
const sizes = values.n.split(",").map(Number);
const count = Number(values.count), reps = Number(values.reps);

/** A Gram matrix BBᵀ of an n×(n/2) Gaussian B: rank n/2, as a Gram matrix of centred representations is. */
function gram(n: number, rng: Rng): Float64Array {
  const k = Math.max(1, n >> 1);
  const b = Float64Array.from({ length: n * k }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += b[i * k + t] * b[j * k + t];
      a[i * n + j] = a[j * n + i] = s;
    }
  }
  return a;
}

console.log("| n | ours (ms) | NumPy eigvalsh (ms) | NumPy ÷ ours | max rel. diff |");
console.log("| --: | --: | --: | --: | --: |");
for (const n of sizes) {
  const rng = new Rng(n);
  const mats = Array.from({ length: count }, () => gram(n, rng));
  const file = await Deno.makeTempFile({ suffix: ".f64" });
  try {
    const all = new Float64Array(count * n * n);
    mats.forEach((m, i) => all.set(m, i * n * n));
    await Deno.writeFile(file, new Uint8Array(all.buffer));
    let ours = Infinity;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      for (const m of mats) symmetricEigenvalues(m, n);
      ours = Math.min(ours, (performance.now() - t0) / count);
    }
    const env = { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
    const out = await new Deno.Command("python3", {
      args: [new URL("./eigen_numpy.py", import.meta.url).pathname, file, `${n}`, `${count}`, `${reps}`],
      env,
      stderr: "inherit",
    }).output();
    if (out.code !== 0) throw new Error("bench/eigen_numpy.py failed (needs python3 with numpy)");
    const peer = JSON.parse(new TextDecoder().decode(out.stdout)) as { ms: number; first: number[] };
    const mine = symmetricEigenvalues(mats[0], n);
    const floor = 1e-9 * Math.abs(peer.first[0]);
    let diff = 0;
    peer.first.forEach((v, i) => {
      if (Math.abs(v) > floor) diff = Math.max(diff, Math.abs(mine[i] - v) / Math.abs(v));
    });
    console.log(
      `| ${n} | ${ours.toFixed(2)} | ${peer.ms.toFixed(2)} | ${(peer.ms / ours).toFixed(2)} | ${
        diff.toExponential(1)
      } |`,
    );
  } finally {
    await Deno.remove(file);
  }
}
