/* Training-mode batch norm: statistics, apply, and the gradient's reductions and input gradient. */
#include "common.h"

/* Rows per chunk of a per-channel reduction: fixed, so partial sums never depend on the thread count. */
#define CHUNK_ROWS 512

/* What channel_partials sums per channel c over rows r (s: the per-channel shift or mean). */
enum { SUM_SHIFTED_SQUARES = 0, SUM_DY_BOTH = 1 };

/*
 * First pass of a per-channel reduction of [rows, C] tensors: for each chunk of CHUNK_ROWS rows, partial sums
 * a[c] and b[c] into partials [chunks, 2C], rows in order. Chunks go to whichever thread asks first.
 *   SUM_SHIFTED_SQUARES: d = x − x[row 0]; a = Σ d, b = Σ d².
 *   SUM_DY_BOTH: a = Σ dy, b = Σ dy·(x − mean), mean = stats[0..C) (one pass over dy for dβ and dγ).
 */
EXPORT(channel_partials)
void channel_partials(const float *x, const float *dy, const float *stats, float *partials, int rows, int C,
                      int mode, int tid, int nthreads, int *claims) {
  const int chunks = (rows + CHUNK_ROWS - 1) / CHUNK_ROWS;
  const float *shift = mode == SUM_SHIFTED_SQUARES ? x : stats;
  const int items = chunks;
  for (int k; (k = claim(claims, items)) >= 0;) {
    float *pa = partials + k * 2 * C, *pb = pa + C;
    const int r0 = k * CHUNK_ROWS, r1 = min_i(r0 + CHUNK_ROWS, rows);
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      vf a = wasm_f32x4_splat(0.0f), b = a;
      const vf s = wasm_v128_load(shift + c);
      for (int r = r0; r < r1; r++) {
        const int at = r * C + c;
        if (mode == SUM_SHIFTED_SQUARES) {
          const vf d = wasm_f32x4_sub(wasm_v128_load(x + at), s);
          a = wasm_f32x4_add(a, d);
          b = wasm_f32x4_add(b, wasm_f32x4_mul(d, d));
        } else {
          const vf g = wasm_v128_load(dy + at);
          a = wasm_f32x4_add(a, g);
          b = wasm_f32x4_add(b, wasm_f32x4_mul(g, wasm_f32x4_sub(wasm_v128_load(x + at), s)));
        }
      }
      wasm_v128_store(pa + c, a);
      wasm_v128_store(pb + c, b);
    }
    for (; c < C; c++) {
      float a = 0.0f, b = 0.0f;
      const float s = shift[c];
      for (int r = r0; r < r1; r++) {
        const int at = r * C + c;
        if (mode == SUM_SHIFTED_SQUARES) {
          const float d = x[at] - s;
          a += d;
          b += d * d;
        } else {
          a += dy[at];
          b += dy[at] * (x[at] - s);
        }
      }
      pa[c] = a;
      pb[c] = b;
    }
  }
}

static inline float rsqrt(float v) { return 1.0f / __builtin_sqrtf(v); }

/*
 * Second pass (thread 0 only): sums the partials chunk by chunk.
 *   SUM_SHIFTED_SQUARES → out [2, C] = [mean; biased variance] (shift = x row 0); out2 unused.
 *   SUM_DY_BOTH → out [C] = Σ dy (dβ), out2 [C] = Σ dy·(x − mean) · 1/√(var + eps) (dγ).
 */
EXPORT(channel_finish)
void channel_finish(const float *partials, const float *x, const float *stats, float *out, float *out2, int rows,
                    int C, int mode, float eps, int tid, int nthreads) {
  (void)nthreads;
  if (tid != 0) return;
  const int chunks = (rows + CHUNK_ROWS - 1) / CHUNK_ROWS;
  for (int c = 0; c < C; c++) {
    float a = 0.0f, b = 0.0f;
    for (int k = 0; k < chunks; k++) {
      a += partials[k * 2 * C + c];
      b += partials[k * 2 * C + C + c];
    }
    if (mode == SUM_SHIFTED_SQUARES) {
      const float m = a / (float)rows, v = b / (float)rows - m * m;
      out[c] = x[c] + m;
      out[C + c] = v > 0.0f ? v : 0.0f;
    } else {
      out[c] = a;
      out2[c] = b * rsqrt(stats[C + c] + eps);
    }
  }
}

/* Channels past which bn_apply and bn_grad_input compute 1/√(var + eps) per element instead of once (stack). */
#define MAX_CACHED_CHANNELS 4096

/* rstd[c] = 1/√(var[c] + eps) for c < C (C ≤ MAX_CACHED_CHANNELS). */
static inline void channel_rstd(const float *var, float eps, int C, float *rstd) {
  for (int c = 0; c < C; c++) rstd[c] = rsqrt(var[c] + eps);
}

/*
 * Batch-norm apply: y = (x − mean)·rstd·γ + β, rstd = 1/√(var + eps), stats = [mean; var] ([2, C]).
 * Items of rows go to whichever thread asks first.
 */
EXPORT(bn_apply)
void bn_apply(const float *x, const float *stats, const float *gamma, const float *beta, float *y, int rows, int C,
              float eps, int tid, int nthreads, int *claims) {
  const int cached = C <= MAX_CACHED_CHANNELS, per = rows_per_item(C);
  float rstd[cached ? C : 1];
  if (cached) channel_rstd(stats + C, eps, C, rstd);
  const int items = (rows + per - 1) / per;
  for (int item; (item = claim(claims, items)) >= 0;) {
    const int r0 = item * per, r1 = min_i(r0 + per, rows);
    for (int r = r0; r < r1; r++) {
      const float *xr = x + r * C;
      float *yr = y + r * C;
      int c = 0;
      if (!cached) {
        for (; c < C; c++) yr[c] = (xr[c] - stats[c]) * rsqrt(stats[C + c] + eps) * gamma[c] + beta[c];
        continue;
      }
      for (; c + 4 <= C; c += 4) {
        const vf xc = wasm_f32x4_sub(wasm_v128_load(xr + c), wasm_v128_load(stats + c));
        const vf scaled = wasm_f32x4_mul(wasm_f32x4_mul(xc, wasm_v128_load(rstd + c)), wasm_v128_load(gamma + c));
        wasm_v128_store(yr + c, wasm_f32x4_add(scaled, wasm_v128_load(beta + c)));
      }
      for (; c < C; c++) yr[c] = (xr[c] - stats[c]) * rstd[c] * gamma[c] + beta[c];
    }
  }
}

/* dx of one element of bn_grad_input, given its channel's rstd. */
static inline float bn_dx(float dy, float x, float mean, float rstd, float g, float dg, float db, float inv) {
  return g * rstd * (dy - db * inv - (x - mean) * rstd * dg * inv);
}

/*
 * Batch-norm input gradient: dx = γ·rstd·(dy − dβ/M − (x − mean)·rstd·dγ/M), M = rows, with dγ and dβ as
 * channel_finish gives them. Items of rows go to whichever thread asks first.
 */
EXPORT(bn_grad_input)
void bn_grad_input(const float *dy, const float *x, const float *stats, const float *gamma, const float *dgamma,
                   const float *dbeta, float *dx, int rows, int C, float eps, int tid, int nthreads, int *claims) {
  const float inv = 1.0f / (float)rows;
  const int cached = C <= MAX_CACHED_CHANNELS, per = rows_per_item(C);
  float rstd[cached ? C : 1];
  if (cached) channel_rstd(stats + C, eps, C, rstd);
  const vf vinv = wasm_f32x4_splat(inv);
  const int items = (rows + per - 1) / per;
  for (int item; (item = claim(claims, items)) >= 0;) {
    const int r0 = item * per, r1 = min_i(r0 + per, rows);
    for (int r = r0; r < r1; r++) {
      const int at = r * C;
      int c = 0;
      if (!cached) {
        for (; c < C; c++) {
          const float rs = rsqrt(stats[C + c] + eps);
          dx[at + c] = bn_dx(dy[at + c], x[at + c], stats[c], rs, gamma[c], dgamma[c], dbeta[c], inv);
        }
        continue;
      }
      for (; c + 4 <= C; c += 4) {
        const vf rs = wasm_v128_load(rstd + c);
        const vf xc = wasm_f32x4_sub(wasm_v128_load(x + at + c), wasm_v128_load(stats + c));
        const vf db = wasm_f32x4_mul(wasm_v128_load(dbeta + c), vinv);
        const vf dg = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(xc, rs), wasm_v128_load(dgamma + c)), vinv);
        const vf inner = wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(dy + at + c), db), dg);
        wasm_v128_store(dx + at + c, wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(gamma + c), rs), inner));
      }
      for (; c < C; c++)
        dx[at + c] = bn_dx(dy[at + c], x[at + c], stats[c], rstd[c], gamma[c], dgamma[c], dbeta[c], inv);
    }
  }
}
