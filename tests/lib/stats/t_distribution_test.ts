import assert from "node:assert/strict";
import { tCdf, tQuantile } from "../../../lib/stats/t_distribution.ts";
import { incompleteBeta, logGamma } from "../../../lib/stats/special.ts";

const close = (a: number, b: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg ?? ""} ${a} vs ${b} (rel tol ${tol})`);

Deno.test("tQuantile matches published critical values for df = 1..5 and 30", () => {
  // Standard t-table values (e.g. NIST/SEMATECH e-Handbook §1.3.6.7.2, R qt()), to 12+ digits.
  const q975: Record<number, number> = {
    1: 12.706204736174698,
    2: 4.302652729749464,
    3: 3.182446305284263,
    4: 2.7764451051977987,
    5: 2.5705818356363146,
    30: 2.0422724563012373,
  };
  const q95: Record<number, number> = {
    1: 6.313751514675041,
    2: 2.919985580353724,
    3: 2.3533634348018264,
    4: 2.131846786326649,
    5: 2.015048373333024,
  };
  for (const [df, v] of Object.entries(q975)) close(tQuantile(0.975, Number(df)), v, 1e-10, `0.975 df=${df}`);
  for (const [df, v] of Object.entries(q95)) close(tQuantile(0.95, Number(df)), v, 1e-10, `0.95 df=${df}`);
});

Deno.test("t CDF and quantile agree with the closed forms for df = 1 (Cauchy) and df = 2", () => {
  for (const t of [-30, -3.1, -0.7, 0, 0.2, 1, 4.5, 100]) {
    close(tCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-13, `cdf df=1 t=${t}`);
    close(tCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-13, `cdf df=2 t=${t}`);
  }
  for (const p of [0.001, 0.1, 0.3, 0.5, 0.8, 0.99, 0.9999]) {
    close(tQuantile(p, 1), Math.tan(Math.PI * (p - 0.5)), 1e-10, `q df=1 p=${p}`);
    close(tQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 1e-10, `q df=2 p=${p}`);
  }
});

Deno.test("t quantile approaches the normal quantile for large df, and inverts the CDF", () => {
  close(tQuantile(0.975, 1e6), 1.959963984540054, 1e-5);
  for (const df of [0.5, 3.7, 12]) {
    for (const p of [0.02, 0.6, 0.97]) close(tCdf(tQuantile(p, df), df), p, 1e-12, `df=${df} p=${p}`);
  }
});

Deno.test("special functions match closed forms", () => {
  for (let n = 1; n <= 10; n++) {
    let f = 1;
    for (let k = 2; k < n; k++) f *= k;
    close(Math.exp(logGamma(n)), f, 1e-13, `Γ(${n})`);
  }
  close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14);
  for (const x of [0.05, 0.3, 0.5, 0.9]) {
    close(incompleteBeta(x, 1, 1), x, 1e-14);
    close(incompleteBeta(x, 3, 1), x ** 3, 1e-14);
    close(incompleteBeta(x, 1, 4), 1 - (1 - x) ** 4, 1e-14);
  }
});

Deno.test("t functions reject bad arguments", () => {
  assert.throws(() => tQuantile(1, 3), /p must be in \(0, 1\)/);
  assert.throws(() => tQuantile(0.5, 0), /degrees of freedom/);
  assert.throws(() => tCdf(1, NaN), /degrees of freedom/);
});
