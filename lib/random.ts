/**
 * Seeded pseudo-random numbers for everything in the project that needs chance: data splits, subsampling,
 * training-set shuffling, synthetic data, random corruptions.
 *
 * The generator is xoshiro128** (Blackman & Vigna, 2018): 128 bits of state, period 2^128 − 1, all 32-bit
 * integer arithmetic, so it gives the same sequence on every platform and JavaScript engine. Its state is
 * filled from the seed through splitmix32, so neighbouring seeds (0, 1, 2, …) start far apart.
 *
 * Conventions:
 * - A seed is any safe integer (negative allowed). Same seed → same sequence, always.
 * - Use one {@link Rng} per purpose, and give each purpose its own seed with {@link deriveSeed}
 *   (`deriveSeed(seed, "split")`, `deriveSeed(seed, "epoch", 3)`), so that drawing more numbers for one purpose
 *   never shifts the numbers another purpose sees.
 * - Not for cryptography.
 *
 * @example
 * ```ts
 * const rng = new Rng(deriveSeed(params.seed, "shuffle", epoch));
 * const order = rng.permutation(n); // a seeded Fisher–Yates permutation of 0..n-1
 * const x = rng.uniform();          // in [0, 1)
 * const k = rng.int(10);            // integer in 0..9, unbiased
 * const z = rng.normal();           // standard normal
 * ```
 *
 * @module
 */

/** 2^-32: turns a uint32 into a float in [0, 1). */
const INV_2_32 = 1 / 4294967296;
const GOLDEN = 0x9e3779b9;

/** The splitmix32 output function: a bijection on uint32 with good avalanche. */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Hash of a safe integer into a uint32; distinct for every seed in [0, 2^32). */
function hashInteger(seed: number, what: string): number {
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`${what} must be a safe integer, got ${seed}`);
  }
  const lo = seed >>> 0; // two's complement low word, also for negative seeds
  const hi = Math.floor(seed / 4294967296) >>> 0;
  return mix32(lo ^ mix32(hi + GOLDEN));
}

/** FNV-1a over the UTF-16 code units of a string. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A seed for one purpose, derived from a base seed and a path of labels. Different paths give unrelated seeds;
 * the same path always gives the same seed. Returns a uint32.
 *
 * @example
 * ```ts
 * const splitRng = new Rng(deriveSeed(seed, "split"));
 * const epochRng = new Rng(deriveSeed(seed, "epoch", epoch));
 * ```
 */
export function deriveSeed(seed: number, ...path: (string | number)[]): number {
  let h = hashInteger(seed, "seed");
  for (const part of path) {
    // The tag keeps the string "1" and the number 1 apart.
    const p = typeof part === "number"
      ? hashInteger(part, "deriveSeed path element")
      : hashString(part) ^ 0x5bd1e995;
    h = mix32((h ^ p) + GOLDEN);
  }
  return h;
}

/** An array-like whose elements can be assigned: plain arrays and every typed array. */
export interface MutableArrayLike<T> {
  readonly length: number;
  [index: number]: T;
}

/**
 * A seeded xoshiro128** generator. See the module documentation for conventions.
 *
 * @example
 * ```ts
 * const a = new Rng(42), b = new Rng(42);
 * a.uniform() === b.uniform(); // true
 * ```
 */
export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;
  /** The second Box–Muller variate, kept for the next {@link normal} call. */
  #spare: number | null = null;

  /** A generator whose sequence is fixed by `seed` (any safe integer). */
  constructor(seed: number) {
    let x = hashInteger(seed, "Rng seed");
    const next = () => {
      x = (x + GOLDEN) | 0;
      return mix32(x);
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
    // The all-zero state is the one fixed point of xoshiro; splitmix32 output makes it practically impossible,
    // but guard anyway.
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** The next raw 32-bit output, as an unsigned integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result >>> 0;
  }

  /** A float uniform in [0, 1), on a grid of 2^-32. */
  uniform(): number {
    return this.nextUint32() * INV_2_32;
  }

  /**
   * An integer uniform in 0..n-1, without modulo bias (rejection sampling). `n` must be an integer in
   * [1, 2^32].
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
      throw new Error(`Rng.int(n): n must be an integer in [1, 2^32], got ${n}`);
    }
    // Accept only draws below the largest multiple of n that fits in 2^32.
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** A normal variate with the given mean and standard deviation (Box–Muller transform). */
  normal(mean = 0, std = 1): number {
    if (this.#spare !== null) {
      const z = this.#spare;
      this.#spare = null;
      return mean + std * z;
    }
    const u1 = 1 - this.uniform(); // (0, 1], so the log is finite
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.#spare = r * Math.sin(theta);
    return mean + std * r * Math.cos(theta);
  }

  /**
   * Shuffles `items` in place with Fisher–Yates (every permutation equally likely) and returns it.
   *
   * @example
   * ```ts
   * new Rng(1).shuffle(["a", "b", "c"]);
   * ```
   */
  shuffle<A extends MutableArrayLike<unknown>>(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A uniformly random permutation of 0..n-1 (seeded Fisher–Yates). */
  permutation(n: number): Uint32Array {
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(`Rng.permutation(n): n must be an integer ≥ 0, got ${n}`);
    }
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
