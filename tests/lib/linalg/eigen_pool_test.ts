import assert from "node:assert/strict";
import { closeSharedEigenPool, EigenPool, sharedEigenPool } from "../../../lib/linalg/eigen_pool.ts";
import { symmetricEigenvalues } from "../../../lib/linalg/symmetric_eigen.ts";
import { Rng } from "../../../lib/random.ts";

/** A random symmetric n×n matrix, row-major, of rank at most `rank` (a Gram matrix of random vectors). */
function randomGram(n: number, rank: number, rng: Rng): Float64Array {
  const x = Array.from({ length: n * rank }, () => rng.normal());
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < rank; k++) s += x[i * rank + k] * x[j * rank + k];
      g[i * n + j] = s;
    }
  }
  return g;
}

Deno.test("EigenPool: the main thread's eigenvalues bit for bit, in call order, with more jobs than workers", async () => {
  const rng = new Rng(11);
  const matrices = [1, 2, 5, 17, 40, 64, 3, 33, 40, 8, 90, 12].map((n, i) => ({
    n,
    m: randomGram(n, 1 + (i * 7) % n, rng),
  }));
  const expected = matrices.map(({ m, n }) => symmetricEigenvalues(m, n));
  const pool = new EigenPool(3);
  try {
    // The pool takes each matrix over (its buffer is transferred), so it gets copies.
    const got = await Promise.all(matrices.map(({ m, n }) => pool.eigenvalues(Float64Array.from(m), n)));
    assert.deepEqual(got, expected);
    assert.ok(pool.solveSeconds > 0);
  } finally {
    pool.close();
  }
});

Deno.test("EigenPool: a bad matrix fails its own job with the solver's message; the pool goes on", async () => {
  const pool = new EigenPool(1);
  try {
    const bad = Float64Array.of(1, NaN, NaN, 1);
    await assert.rejects(pool.eigenvalues(bad, 2), /entry \(1, 0\) is NaN/);
    await assert.rejects(pool.eigenvalues(new Float64Array(3), 2), /need an n×n matrix, got 3 entries/);
    assert.deepEqual(
      await pool.eigenvalues(Float64Array.of(2, 1, 1, 2), 2),
      symmetricEigenvalues([2, 1, 1, 2], 2),
    );
  } finally {
    pool.close();
  }
});

Deno.test("EigenPool: close() fails the jobs not yet done, and later calls", async () => {
  const pool = new EigenPool(1);
  const rng = new Rng(5);
  const pending = [
    pool.eigenvalues(randomGram(200, 200, rng), 200),
    pool.eigenvalues(randomGram(50, 5, rng), 50),
  ];
  pool.close();
  for (const p of pending) await assert.rejects(p, /closed before the work finished/);
  await assert.rejects(pool.eigenvalues(Float64Array.of(1), 1), /used after close/);
  assert.throws(() => new EigenPool(0), /positive integer/);
});

Deno.test("sharedEigenPool: one pool for the process, its workers kept between uses, renewed after a close", async () => {
  const rng = new Rng(8);
  const m = randomGram(30, 10, rng);
  const pool = sharedEigenPool();
  try {
    assert.equal(sharedEigenPool(), pool, "a second call finds the same pool");
    assert.deepEqual(await pool.eigenvalues(m.slice(), 30), symmetricEigenvalues(m.slice(), 30));
    const alive = pool.alive;
    assert.ok(alive >= 1);
    assert.deepEqual(await sharedEigenPool().eigenvalues(m.slice(), 30), symmetricEigenvalues(m.slice(), 30));
    assert.equal(pool.alive, alive, "the workers stay between uses");
    pool.close();
    const renewed = sharedEigenPool();
    assert.notEqual(renewed, pool, "a closed pool is replaced");
    assert.deepEqual(await renewed.eigenvalues(m.slice(), 30), symmetricEigenvalues(m.slice(), 30));
  } finally {
    closeSharedEigenPool();
  }
  assert.equal(pool.closed, true);
});
