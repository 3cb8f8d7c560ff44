/*
 * Our own wasm SIMD kernels for the tfjs wasm backend (built by lib/backends/wasm/build_simd.ts into
 * simd_kernels.wasm; lib/backends/wasm/simd_pool.ts runs them).
 *
 * The module imports tfjs-backend-wasm's own shared memory and works on its tensors in place: pointers are
 * addresses on that heap. So it must own no memory of its own: no data segments, no static variables, no
 * start function (the build checks this). Its stack is a block the pool allocates on the heap, one per thread.
 *
 * Every kernel takes (…, tid, nthreads) and computes a fixed share of its outputs: each output element is
 * computed wholly by one thread, in an order that does not depend on the thread count, so results are the
 * same bits with any number of threads. Plain f32x4 mul and add (no fused multiply-add), so they are the same
 * bits on every machine.
 */
#include <wasm_simd128.h>

typedef v128_t vf;
#define EXPORT(name) __attribute__((export_name(#name)))

static inline int min_i(int a, int b) { return a < b ? a : b; }
static inline int max_i(int a, int b) { return a > b ? a : b; }

/* First output index o with o*s + k - pad >= 0. */
static inline int out_lo(int k, int pad, int s) {
  int t = pad - k;
  return t <= 0 ? 0 : (t + s - 1) / s;
}

/* One past the last output index o < n_out with o*s + k - pad < n_in. */
static inline int out_hi(int k, int pad, int s, int n_in, int n_out) {
  int t = n_in - 1 + pad - k;
  return t < 0 ? 0 : min_i(t / s + 1, n_out);
}

/* This thread's share [*lo, *hi) of `total` work items. */
static inline void share(int total, int tid, int nthreads, int *lo, int *hi) {
  *lo = (int)((long long)total * tid / nthreads);
  *hi = (int)((long long)total * (tid + 1) / nthreads);
}

typedef struct {
  int H, W, Ci, Ho, Wo, Co, kw, sh, sw, top, left;
} ConvShape;

/*
 * One tile of the filter gradient for one image: dw[i][j][c0..c0+CW)[o0..o0+4·NV) += Σ over that image's
 * output pixels of x[pixel + tap][c] · dy[pixel][o]. Pixels in row-major order, one float32 rounding per
 * multiply and per add.
 */
static inline __attribute__((always_inline)) void filter_grad_tile(
    const float *x, const float *dy, float *dw, const ConvShape *s, int n, int i, int j, int c0, int o0,
    const int CW, const int NV) {
  vf acc[4][2];
  float *w = dw + ((i * s->kw + j) * s->Ci + c0) * s->Co + o0;
  for (int a = 0; a < CW; a++)
    for (int b = 0; b < NV; b++) acc[a][b] = wasm_v128_load(w + a * s->Co + 4 * b);
  const int oh0 = out_lo(i, s->top, s->sh), oh1 = out_hi(i, s->top, s->sh, s->H, s->Ho);
  const int ow0 = out_lo(j, s->left, s->sw), ow1 = out_hi(j, s->left, s->sw, s->W, s->Wo);
  const int xstep = s->sw * s->Ci;
  for (int oh = oh0; oh < oh1; oh++) {
    const int ih = oh * s->sh + i - s->top;
    const float *xp = x + ((n * s->H + ih) * s->W + ow0 * s->sw + j - s->left) * s->Ci + c0;
    const float *dp = dy + ((n * s->Ho + oh) * s->Wo + ow0) * s->Co + o0;
    for (int ow = ow0; ow < ow1; ow++, xp += xstep, dp += s->Co) {
      vf d[2];
      for (int b = 0; b < NV; b++) d[b] = wasm_v128_load(dp + 4 * b);
      for (int a = 0; a < CW; a++) {
        const vf xa = wasm_f32x4_splat(xp[a]);
        for (int b = 0; b < NV; b++) acc[a][b] = wasm_f32x4_add(acc[a][b], wasm_f32x4_mul(xa, d[b]));
      }
    }
  }
  for (int a = 0; a < CW; a++)
    for (int b = 0; b < NV; b++) wasm_v128_store(w + a * s->Co + 4 * b, acc[a][b]);
}

/*
 * Conv2DBackpropFilter, NHWC, dilation 1: dw[kh][kw][Ci][Co] from x [N,H,W,Ci] and dy [N,Ho,Wo,Co].
 * Co must be a multiple of 4. Tiles of (tap, 4 input channels, 8 output channels) are shared among threads;
 * images are the outer loop, so one image's x and dy stay in cache while every tile of this thread reads them.
 */
EXPORT(conv2d_filter_grad)
void conv2d_filter_grad(const float *x, const float *dy, float *dw, int N, int H, int W, int Ci, int Ho, int Wo,
                        int Co, int kh, int kw, int sh, int sw, int top, int left, int tid, int nthreads) {
  const ConvShape s = {H, W, Ci, Ho, Wo, Co, kw, sh, sw, top, left};
  const int cblocks = (Ci + 3) / 4, oblocks = (Co + 7) / 8;
  int t0, t1;
  share(kh * kw * cblocks * oblocks, tid, nthreads, &t0, &t1);
  for (int t = t0; t < t1; t++) {
    const int ob = t % oblocks, cb = (t / oblocks) % cblocks, tap = t / (oblocks * cblocks);
    const int cw = min_i(4, Ci - cb * 4), ow = min_i(8, Co - ob * 8);
    float *w = dw + (tap * Ci + cb * 4) * Co + ob * 8;
    for (int a = 0; a < cw; a++)
      for (int b = 0; b < ow; b += 4) wasm_v128_store(w + a * Co + b, wasm_f32x4_splat(0.0f));
  }
  for (int n = 0; n < N; n++) {
    for (int t = t0; t < t1; t++) {
      const int ob = t % oblocks, cb = (t / oblocks) % cblocks, tap = t / (oblocks * cblocks);
      const int i = tap / kw, j = tap % kw, c0 = cb * 4, o0 = ob * 8;
      const int cw = min_i(4, Ci - c0), nv = Co - o0 >= 8 ? 2 : 1;
      switch (cw * 2 + nv) {
        case 4 * 2 + 2: filter_grad_tile(x, dy, dw, &s, n, i, j, c0, o0, 4, 2); break;
        case 4 * 2 + 1: filter_grad_tile(x, dy, dw, &s, n, i, j, c0, o0, 4, 1); break;
        case 3 * 2 + 2: filter_grad_tile(x, dy, dw, &s, n, i, j, c0, o0, 3, 2); break;
        case 3 * 2 + 1: filter_grad_tile(x, dy, dw, &s, n, i, j, c0, o0, 3, 1); break;
        case 2 * 2 + 2: filter_grad_tile(x, dy, dw, &s, n, i, j, c0, o0, 2, 2); break;
        case 2 * 2 + 1: filter_grad_tile(x, dy, dw, &s, n, i, j, c0, o0, 2, 1); break;
        case 1 * 2 + 2: filter_grad_tile(x, dy, dw, &s, n, i, j, c0, o0, 1, 2); break;
        default: filter_grad_tile(x, dy, dw, &s, n, i, j, c0, o0, 1, 1); break;
      }
    }
  }
}

/*
 * MaxPoolGrad, NHWC: dx [N,H,W,C] from the pooled input x and dy [N,Ho,Wo,C]. Each window routes its gradient
 * to its first strict maximum (row-major), the cpu backend's tie rule; windows are visited in row-major order,
 * so every dx element adds the same terms in the same order as max_pool_grad.ts. Four channels at a time;
 * images are shared among threads.
 */
EXPORT(max_pool_grad)
void max_pool_grad(const float *x, const float *dy, float *dx, int N, int H, int W, int C, int Ho, int Wo,
                   int fh, int fw, int sh, int sw, int top, int left, int tid, int nthreads) {
  int n0, n1;
  share(N, tid, nthreads, &n0, &n1);
  for (int p = n0 * H * W * C; p < n1 * H * W * C; p++) dx[p] = 0.0f;
  const vf lanes = wasm_i32x4_make(0, 1, 2, 3);
  for (int n = n0; n < n1; n++) {
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

/* Rows per chunk of a per-channel reduction: fixed, so partial sums never depend on the thread count. */
#define CHUNK_ROWS 512

/* What channel_partials sums per channel c over rows r (s: the per-channel shift or mean). */
enum { SUM_SHIFTED_SQUARES = 0, SUM_DY = 1, SUM_DY_CENTRED = 2 };

/*
 * First pass of a per-channel reduction of [rows, C] tensors: for each chunk of CHUNK_ROWS rows, partial sums
 * a[c] and b[c] into partials [chunks, 2C], rows in order. Chunks are shared among threads.
 *   SUM_SHIFTED_SQUARES: d = x − x[row 0]; a = Σ d, b = Σ d².   SUM_DY: a = Σ dy.
 *   SUM_DY_CENTRED: a = Σ dy·(x − mean), mean = stats[0..C).
 */
EXPORT(channel_partials)
void channel_partials(const float *x, const float *dy, const float *stats, float *partials, int rows, int C,
                      int mode, int tid, int nthreads) {
  const int chunks = (rows + CHUNK_ROWS - 1) / CHUNK_ROWS;
  const float *shift = mode == SUM_SHIFTED_SQUARES ? x : stats;
  int k0, k1;
  share(chunks, tid, nthreads, &k0, &k1);
  for (int k = k0; k < k1; k++) {
    float *pa = partials + k * 2 * C, *pb = pa + C;
    const int r0 = k * CHUNK_ROWS, r1 = min_i(r0 + CHUNK_ROWS, rows);
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      vf a = wasm_f32x4_splat(0.0f), b = a;
      const vf s = mode == SUM_DY ? a : wasm_v128_load(shift + c);
      for (int r = r0; r < r1; r++) {
        const int at = r * C + c;
        if (mode == SUM_SHIFTED_SQUARES) {
          const vf d = wasm_f32x4_sub(wasm_v128_load(x + at), s);
          a = wasm_f32x4_add(a, d);
          b = wasm_f32x4_add(b, wasm_f32x4_mul(d, d));
        } else if (mode == SUM_DY) {
          a = wasm_f32x4_add(a, wasm_v128_load(dy + at));
        } else {
          a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(dy + at), wasm_f32x4_sub(wasm_v128_load(x + at), s)));
        }
      }
      wasm_v128_store(pa + c, a);
      wasm_v128_store(pb + c, b);
    }
    for (; c < C; c++) {
      float a = 0.0f, b = 0.0f;
      const float s = mode == SUM_DY ? 0.0f : shift[c];
      for (int r = r0; r < r1; r++) {
        const int at = r * C + c;
        if (mode == SUM_SHIFTED_SQUARES) {
          const float d = x[at] - s;
          a += d;
          b += d * d;
        } else if (mode == SUM_DY) {
          a += dy[at];
        } else {
          a += dy[at] * (x[at] - s);
        }
      }
      pa[c] = a;
      pb[c] = b;
    }
  }
}

static inline float rsqrt(float v) { return 1.0f / __builtin_sqrtf(v); }

/*
 * Second pass (thread 0 only): sums the partials chunk by chunk into out.
 *   SUM_SHIFTED_SQUARES → out [2, C] = [mean; biased variance] (shift = x row 0).
 *   SUM_DY → out [C] = Σ dy.   SUM_DY_CENTRED → out [C] = Σ dy·(x − mean) · 1/√(var + eps).
 */
EXPORT(channel_finish)
void channel_finish(const float *partials, const float *x, const float *stats, float *out, int rows, int C,
                    int mode, float eps, int tid, int nthreads) {
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
    } else if (mode == SUM_DY) {
      out[c] = a;
    } else {
      out[c] = a * rsqrt(stats[C + c] + eps);
    }
  }
}

/* This thread's rows of an elementwise pass over [rows, C]: whole rows, shared among threads. */
#define ROW_SHARE(rows) \
  int r0, r1;           \
  share(rows, tid, nthreads, &r0, &r1)

/* Channels past which bn_apply and bn_grad_input compute 1/√(var + eps) per element instead of once (stack). */
#define MAX_CACHED_CHANNELS 4096

/* rstd[c] = 1/√(var[c] + eps) for c < C (C ≤ MAX_CACHED_CHANNELS). */
static inline void channel_rstd(const float *var, float eps, int C, float *rstd) {
  for (int c = 0; c < C; c++) rstd[c] = rsqrt(var[c] + eps);
}

/*
 * Batch-norm apply: y = (x − mean)·rstd·γ + β, rstd = 1/√(var + eps), stats = [mean; var] ([2, C]).
 * Rows are shared among threads.
 */
EXPORT(bn_apply)
void bn_apply(const float *x, const float *stats, const float *gamma, const float *beta, float *y, int rows, int C,
              float eps, int tid, int nthreads) {
  ROW_SHARE(rows);
  float rstd[C <= MAX_CACHED_CHANNELS ? C : 1];
  if (C > MAX_CACHED_CHANNELS) {
    for (int r = r0; r < r1; r++)
      for (int c = 0; c < C; c++)
        y[r * C + c] = (x[r * C + c] - stats[c]) * rsqrt(stats[C + c] + eps) * gamma[c] + beta[c];
    return;
  }
  channel_rstd(stats + C, eps, C, rstd);
  for (int r = r0; r < r1; r++) {
    const float *xr = x + r * C;
    float *yr = y + r * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      const vf xc = wasm_f32x4_sub(wasm_v128_load(xr + c), wasm_v128_load(stats + c));
      const vf scaled = wasm_f32x4_mul(wasm_f32x4_mul(xc, wasm_v128_load(rstd + c)), wasm_v128_load(gamma + c));
      wasm_v128_store(yr + c, wasm_f32x4_add(scaled, wasm_v128_load(beta + c)));
    }
    for (; c < C; c++) yr[c] = (xr[c] - stats[c]) * rstd[c] * gamma[c] + beta[c];
  }
}

/* dx of one element of bn_grad_input, given its channel's rstd. */
static inline float bn_dx(float dy, float x, float mean, float rstd, float g, float dg, float db, float inv) {
  return g * rstd * (dy - db * inv - (x - mean) * rstd * dg * inv);
}

/*
 * Batch-norm input gradient: dx = γ·rstd·(dy − dβ/M − (x − mean)·rstd·dγ/M), M = rows, with dγ and dβ as
 * channel_finish gives them. Rows are shared among threads.
 */
EXPORT(bn_grad_input)
void bn_grad_input(const float *dy, const float *x, const float *stats, const float *gamma, const float *dgamma,
                   const float *dbeta, float *dx, int rows, int C, float eps, int tid, int nthreads) {
  ROW_SHARE(rows);
  const float inv = 1.0f / (float)rows;
  float rstd[C <= MAX_CACHED_CHANNELS ? C : 1];
  if (C > MAX_CACHED_CHANNELS) {
    for (int r = r0; r < r1; r++)
      for (int c = 0; c < C; c++) {
        const int at = r * C + c;
        dx[at] = bn_dx(dy[at], x[at], stats[c], rsqrt(stats[C + c] + eps), gamma[c], dgamma[c], dbeta[c], inv);
      }
    return;
  }
  channel_rstd(stats + C, eps, C, rstd);
  const vf vinv = wasm_f32x4_splat(inv);
  for (int r = r0; r < r1; r++) {
    const int at = r * C;
    int c = 0;
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

/*
 * Sum (or mean) of x viewed as [outer, r, inner] over r into out [outer, inner]: each output element adds its r
 * values in order, one float32 rounding per addition, then divides by r (`mean`); the same bits as
 * reductions.ts's sumMiddleInto and tfjs's stock kernel. Blocks of 16 columns of each outer index are shared
 * among threads.
 */
EXPORT(sum_middle)
void sum_middle(const float *x, float *out, int outer, int r, int inner, int mean, int tid, int nthreads) {
  const int blocks = (inner + 15) / 16;
  int b0, b1;
  share(outer * blocks, tid, nthreads, &b0, &b1);
  for (int b = b0; b < b1; b++) {
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
