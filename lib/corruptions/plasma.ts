/**
 * Plasma fractal (diamond-square on a toroidal grid), a direct port of Hendrycks' `plasma_fractal` used by
 * fog (docs/method.md §4.3.3 item 12): map[0,0] = 0, wibble = 100; while step ≥ 2 a "squares" pass (cell centre
 * = mean of its 4 corners) and a "diamonds" pass (edge midpoints = mean of 4 neighbours, indices wrapping
 * around), each adding wibble·U(−wibble, wibble) as the original does; then step /= 2 and wibble /= decay.
 * Finally min–max normalised to [0, 1].
 *
 * @module
 */
import type { Rng } from "../random.ts";

/**
 * A `size`×`size` plasma map in [0, 1] (row-major); `size` must be a power of two.
 *
 * @example
 * const p = plasmaFractal(32, 3, rng); // CIFAR fog severity 1–2 decay
 */
export function plasmaFractal(size: number, wibbleDecay: number, rng: Rng): Float64Array {
  if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0) {
    throw new Error(`plasmaFractal: size must be a power of two ≥ 2, got ${size}`);
  }
  const map = new Float64Array(size * size);
  const at = (r: number, c: number) => map[(r % size) * size + (c % size)];
  let step = size;
  let wibble = 100;
  const wibbled = (sum: number) => sum / 4 + wibble * (rng.uniform() * 2 * wibble - wibble);
  while (step >= 2) {
    const half = step / 2;
    const m = size / step;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const r = i * step, c = j * step;
        map[(r + half) * size + c + half] = wibbled(
          at(r, c) + at(r + step, c) + at(r, c + step) + at(r + step, c + step),
        );
      }
    }
    // Edge midpoints on the corner rows: centres above and below, corners left and right.
    const top = new Float64Array(m * m), left = new Float64Array(m * m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const r = i * step, c = j * step;
        top[i * m + j] = wibbled(
          at(r + half, c + half) + at(r - half + size, c + half) + at(r, c) + at(r, c + step),
        );
      }
    }
    // Edge midpoints on the corner columns: centres left and right, corners above and below.
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const r = i * step, c = j * step;
        left[i * m + j] = wibbled(
          at(r + half, c + half) + at(r + half, c - half + size) + at(r, c) + at(r + step, c),
        );
      }
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        map[i * step * size + j * step + half] = top[i * m + j];
        map[(i * step + half) * size + j * step] = left[i * m + j];
      }
    }
    step = half;
    wibble /= wibbleDecay;
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of map) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  for (let i = 0; i < map.length; i++) map[i] = (map[i] - lo) / (hi - lo);
  return map;
}
