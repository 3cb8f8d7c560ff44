/* ReLU's gradient in one pass, with the stock bits. */
#include "common.h"

/*
 * The gradient of ReLU, fused: out = dy · step(x), where step is tfjs's (NaN for NaN, else 1 where x > 0 and 0
 * elsewhere), so out has the bits of the stock Step, Cast and Multiply (−0 where dy < 0 and x ≤ 0). Items of
 * ITEM_FLOATS elements go to whichever thread asks first.
 */
EXPORT(relu_grad)
void relu_grad(const float *x, const float *dy, float *out, int n, int tid, int nthreads, int *claims) {
  const vf one = wasm_f32x4_splat(1.0f), zero = wasm_f32x4_splat(0.0f);
  const int items = (n + ITEM_FLOATS - 1) / ITEM_FLOATS;
  for (int item; (item = claim(claims, items)) >= 0;) {
    const int end = min_i((item + 1) * ITEM_FLOATS, n), vend = min_i(end, n / 4 * 4);
    int i = item * ITEM_FLOATS;
    for (; i < vend; i += 4) {
      const vf xv = wasm_v128_load(x + i);
      const vf step = wasm_v128_bitselect(one, zero, wasm_f32x4_gt(xv, zero));
      const vf masked = wasm_v128_bitselect(xv, step, wasm_f32x4_ne(xv, xv));
      wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(dy + i), masked));
    }
    for (; i < end; i++) out[i] = dy[i] * (x[i] != x[i] ? x[i] : x[i] > 0.0f ? 1.0f : 0.0f);
  }
}
