/* Sum and Mean over the middle axis of [outer, r, inner], with tfjs's bits. */
#include "common.h"

/*
 * Sum (or mean) of x viewed as [outer, r, inner] over r into out [outer, inner]: each output element adds its r
 * values in order, one float32 rounding per addition, then divides by r (`mean`); the same bits as
 * reductions.ts's sumMiddleInto and tfjs's stock kernel. Blocks of 16 columns of each outer index go to
 * whichever thread asks first.
 */
EXPORT(sum_middle)
void sum_middle(const float *x, float *out, int outer, int r, int inner, int mean, int tid, int nthreads,
                int *claims) {
  const int blocks = (inner + 15) / 16;
  const int items = outer * blocks;
  for (int b; (b = claim(claims, items)) >= 0;) {
    const int o = b / blocks, c0 = (b % blocks) * 16, c1 = min_i(c0 + 16, inner);
    const float *base = x + o * r * inner;
    float *dst = out + o * inner;
    int c = c0;
    if (c1 - c0 == 16) {
      vf a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
      for (int k = 0; k < r; k++) {
        const float *row = base + k * inner + c0;
        a0 = wasm_f32x4_add(a0, wasm_v128_load(row));
        a1 = wasm_f32x4_add(a1, wasm_v128_load(row + 4));
        a2 = wasm_f32x4_add(a2, wasm_v128_load(row + 8));
        a3 = wasm_f32x4_add(a3, wasm_v128_load(row + 12));
      }
      if (mean) {
        const vf n = wasm_f32x4_splat((float)r);
        a0 = wasm_f32x4_div(a0, n), a1 = wasm_f32x4_div(a1, n), a2 = wasm_f32x4_div(a2, n), a3 = wasm_f32x4_div(a3, n);
      }
      wasm_v128_store(dst + c0, a0), wasm_v128_store(dst + c0 + 4, a1);
      wasm_v128_store(dst + c0 + 8, a2), wasm_v128_store(dst + c0 + 12, a3);
      continue;
    }
    for (; c < c1; c++) {
      float a = 0.0f;
      for (int k = 0; k < r; k++) a += base[k * inner + c];
      dst[c] = mean ? a / (float)r : a;
    }
  }
}
