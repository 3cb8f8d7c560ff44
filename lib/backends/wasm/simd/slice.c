/* Slice of a rank-4 tensor, as a threaded copy. */
#include "common.h"

/*
 * Slice of a rank-4 tensor of 4-byte elements: y [s0,s1,s2,s3] = x [d0,d1,d2,d3] from (b0, b1, b2, b3). A copy,
 * so any 4-byte type keeps its bits; items of rows of y (its first three axes) go to whichever thread asks first.
 */
EXPORT(slice4)
void slice4(const float *x, float *y, int d1, int d2, int d3, int b0, int b1, int b2, int b3, int s0, int s1,
            int s2, int s3, int tid, int nthreads, int *claims) {
  const int rows = s0 * s1 * s2, per = rows_per_item(s3);
  const int items = (rows + per - 1) / per;
  for (int item; (item = claim(claims, items)) >= 0;) {
    for (int r = item * per; r < min_i((item + 1) * per, rows); r++) {
      const int i = r / (s1 * s2), j = r / s2 % s1, k = r % s2;
      const float *src = x + (((long long)(b0 + i) * d1 + b1 + j) * d2 + b2 + k) * d3 + b3;
      float *dst = y + (long long)r * s3;
      int c = 0;
      for (; c + 4 <= s3; c += 4) wasm_v128_store(dst + c, wasm_v128_load(src + c));
      for (; c < s3; c++) dst[c] = src[c];
    }
  }
}
