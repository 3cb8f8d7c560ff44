/**
 * Poisson variates from the project's seeded {@link Rng} (TF.js and lib/random.ts have none; shot noise needs
 * λ = x·c up to 500, docs/method.md §4.4).
 *
 * λ < 10: multiplication of uniforms (Knuth). λ ≥ 10: PTRS, the transformed rejection method with squeeze of
 * Hörmann (1993), "The transformed rejection method for generating Poisson random variables", which is exact
 * and takes about 1.1 uniforms pairs per variate. NumPy uses the same two-regime scheme.
 *
 * @module
 */
import type { Rng } from "../random.ts";

function logFactorial(k: number): number {
  // Stirling series; exact to double precision for k ≥ 10, table below that.
  if (k < 10) return LOG_FACT[k];
  const k1 = k + 1;
  return (k1 - 0.5) * Math.log(k1) - k1 + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * k1) - 1 / (360 * k1 ** 3);
}

const LOG_FACT = Array.from({ length: 10 }, (_, k) => {
  let s = 0;
  for (let i = 2; i <= k; i++) s += Math.log(i);
  return s;
});

/**
 * One Poisson(λ) variate, λ ≥ 0.
 *
 * @example
 * const k = poisson(rng, 37.5);
 */
export function poisson(rng: Rng, lambda: number): number {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) {
    throw new Error(`poisson: λ must be finite and ≥ 0, got ${lambda}`);
  }
  if (lambda === 0) return 0;
  if (lambda < 10) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = rng.uniform();
    while (p > limit) {
      k++;
      p *= rng.uniform();
    }
    return k;
  }
  const slam = Math.sqrt(lambda);
  const loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.uniform() - 0.5;
    const v = rng.uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor((2 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (
      Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logFactorial(k)
    ) {
      return k;
    }
  }
}
