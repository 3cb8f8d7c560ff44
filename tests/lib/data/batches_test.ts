import assert from "node:assert/strict";
import type { PreparedSplit } from "../../../lib/data/prepared.ts";
import { Rng } from "../../../lib/random.ts";
import {
  augmentationFor,
  batchIndices,
  channelStats,
  epochOrder,
  makeBatch,
} from "../../../lib/data/batches.ts";

function split(n: number, h: number, w: number, c: number, seed = 1): PreparedSplit {
  const rng = new Rng(seed);
  const images = Uint8Array.from({ length: n * h * w * c }, () => rng.int(256));
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  return { images, labels, n, shape: [h, w, c] };
}

Deno.test("epoch order: a seeded permutation, fixed by (seed, epoch); batches cover it in order", () => {
  const a = epochOrder(10, 5, 0);
  assert.deepEqual(a, epochOrder(10, 5, 0));
  assert.notDeepEqual(a, epochOrder(10, 5, 1));
  assert.notDeepEqual(a, epochOrder(10, 6, 0));
  assert.deepEqual([...a].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const b = batchIndices(a, 4);
  assert.deepEqual(b.map((x) => x.length), [4, 4, 2]);
  assert.deepEqual(b.flatMap((x) => [...x]), [...a]);
});

Deno.test("makeBatch without augmentation: pixels / 255 and labels, in index order", () => {
  const s = split(5, 2, 3, 2);
  const b = makeBatch(s, [3, 0]);
  assert.deepEqual(b.shape, [2, 2, 3, 2]);
  assert.deepEqual([...b.labels], [s.labels[3], s.labels[0]]);
  for (let k = 0; k < 12; k++) {
    assert.equal(b.x[k], Math.fround(s.images[3 * 12 + k] / 255));
    assert.equal(b.x[12 + k], Math.fround(s.images[k] / 255));
  }
});

Deno.test("crop-flip equals zero-pad, crop at the drawn offset, then mirror (independent construction)", () => {
  const [h, w, c, p] = [5, 4, 3, 2];
  const s = split(3, h, w, c, 9);
  const b = makeBatch(s, [0, 1, 2], { kind: "crop-flip", padding: p }, new Rng(42));
  const draws = new Rng(42);
  for (let i = 0; i < 3; i++) {
    const oy = draws.int(2 * p + 1), ox = draws.int(2 * p + 1), flip = draws.int(2) === 1;
    // Padded image of (h + 2p) × (w + 2p), then the h × w window at (oy, ox), then the flip.
    const padded = (y: number, x: number, ch: number) => {
      const sy = y - p, sx = x - p;
      return sy < 0 || sy >= h || sx < 0 || sx >= w ? 0 : s.images[((i * h + sy) * w + sx) * c + ch];
    };
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const xs = flip ? w - 1 - x : x;
        for (let ch = 0; ch < c; ch++) {
          const want = Math.fround(padded(oy + y, ox + xs, ch) / 255);
          assert.equal(b.x[((i * h + y) * w + x) * c + ch], want, `image ${i} (${y},${x},${ch})`);
        }
      }
    }
  }
  assert.throws(() => makeBatch(s, [0], { kind: "crop-flip", padding: 1 }), /needs an rng/);
});

Deno.test("augmentation policy per dataset, and channel statistics", () => {
  assert.deepEqual(augmentationFor("cifar10"), { kind: "crop-flip", padding: 4 });
  assert.deepEqual(augmentationFor("tiny-imagenet"), { kind: "crop-flip", padding: 4 });
  for (const d of ["mnist", "fashion-mnist", "synthetic"]) {
    assert.deepEqual(augmentationFor(d), { kind: "none" });
  }
  // Two 1×1 images with channels (0, 255) and (255, 255): means 0.5 and 1; std 0.5 and 0 → 1.
  const s: PreparedSplit = {
    images: Uint8Array.from([0, 255, 255, 255]),
    labels: new Uint8Array(2),
    n: 2,
    shape: [1, 1, 2],
  };
  const st = channelStats(s);
  assert.deepEqual(st.mean, [0.5, 1]);
  assert.deepEqual(st.std, [0.5, 1]);
});
