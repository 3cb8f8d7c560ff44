/* MaxPoolGrad with the cpu backend's tie rule. */
#include "common.h"

/*
 * MaxPoolGrad, NHWC: dx [N,H,W,C] from the pooled input x and dy [N,Ho,Wo,C]. Each window routes its gradient
 * to its first strict maximum (row-major), the cpu backend's tie rule; windows are visited in row-major order,
 * so every dx element adds the same terms in the same order as max_pool_grad.ts. Four channels at a time;
 * images go to whichever thread asks first.
 */
EXPORT(max_pool_grad)
void max_pool_grad(const float *x, const float *dy, float *dx, int N, int H, int W, int C, int Ho, int Wo,
                   int fh, int fw, int sh, int sw, int top, int left, int tid, int nthreads, int *claims) {
  const vf lanes = wasm_i32x4_make(0, 1, 2, 3);
  const int items = N;
  for (int n; (n = claim(claims, items)) >= 0;) {
    for (int p = n * H * W * C; p < (n + 1) * H * W * C; p++) dx[p] = 0.0f;
    for (int oh = 0; oh < Ho; oh++) {
      const int h0 = max_i(oh * sh - top, 0), h1 = min_i(oh * sh - top + fh, H);
      for (int ow = 0; ow < Wo; ow++) {
        const int w0 = max_i(ow * sw - left, 0), w1 = min_i(ow * sw - left + fw, W);
        const float *g = dy + ((n * Ho + oh) * Wo + ow) * C;
        int c = 0;
        for (; c + 4 <= C; c += 4) {
          vf best = wasm_f32x4_splat(-__builtin_inff()), arg = wasm_i32x4_splat(-1);
          for (int h = h0; h < h1; h++) {
            for (int w = w0; w < w1; w++) {
              const int at = ((n * H + h) * W + w) * C + c;
              const vf v = wasm_v128_load(x + at), more = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, more);
              arg = wasm_v128_bitselect(wasm_i32x4_add(wasm_i32x4_splat(at), lanes), arg, more);
            }
          }
          int a[4];
          wasm_v128_store(a, arg);
          for (int l = 0; l < 4; l++)
            if (a[l] >= 0) dx[a[l]] += g[c + l];
        }
        for (; c < C; c++) {
          float best = -__builtin_inff();
          int arg = -1;
          for (int h = h0; h < h1; h++) {
            for (int w = w0; w < w1; w++) {
              const int at = ((n * H + h) * W + w) * C + c;
              if (x[at] > best) {
                best = x[at];
                arg = at;
              }
            }
          }
          if (arg >= 0) dx[arg] += g[c];
        }
      }
    }
  }
}
