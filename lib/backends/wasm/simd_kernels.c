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

/*
 * Winograd F(4×4, 3×3) convolution, stride 1, dilation 1, NHWC: each 4×4 output tile is A^T·[(G·g·G^T) ⊙
 * (B^T·d·B)]·A over a 6×6 input patch d (interpolation points 0, ±1, ±2, ∞), so a tile takes 36 multiplies per
 * (input, output) channel pair instead of 144. The filter transform comes first (winograd_filter), then the
 * convolution (winograd_conv), which takes blocks of WINO_TILES tiles: the input transform of a block into
 * scratch V[36][tiles][Ci], 36 products V[ξ]·U[ξ] into scratch M[36][tiles][8] per 8 output channels, then the
 * output transform into y.
 *
 * Every transform and every channel sum runs in a fixed order, one float32 rounding per operation; products by
 * 2, 4 and 8 are exact.
 */
#define WINO_TILES 16
/* Points of a transformed tile (6×6). */
#define WINO_XI 36

/*
 * Floats added to the stride of each of the 36 planes of a transformed block, so that the planes do not all
 * map to the same cache sets when a block's size is a multiple of 4 KiB.
 */
#define WINO_PAD 16

/* The stride of one plane of a block of `tb` transformed tiles with `ch` channels. */
static inline int wino_plane(int tb, int ch) { return tb * ch + WINO_PAD; }

/* G·g for one column g of a 3×3 filter: the 6 rows g0/4, −(g0+g1+g2)/6, −(g0−g1+g2)/6, g0/24 ± g1/12 + g2/6, g2. */
static inline void filter_points(float g0, float g1, float g2, float o[6]) {
  o[0] = g0 * 0.25f;
  o[1] = (g0 + g1 + g2) * (-1.0f / 6.0f);
  o[2] = (g0 - g1 + g2) * (-1.0f / 6.0f);
  o[3] = g0 * (1.0f / 24.0f) + g1 * (1.0f / 12.0f) + g2 * (1.0f / 6.0f);
  o[4] = g0 * (1.0f / 24.0f) - g1 * (1.0f / 12.0f) + g2 * (1.0f / 6.0f);
  o[5] = g2;
}

/*
 * The filter transform U[36][Ci][Co] = G·g·G^T of each (c, k) pair, where g[i][j] is w[i][j][c][k] (w is
 * [3][3][Ci][Co]) or, when `flip` is set (the input gradient), w[2−i][2−j][k][c] of w [3][3][Co][Ci]: the
 * forward filter turned 180° with its channel axes swapped. Input channels are shared among threads.
 */
EXPORT(winograd_filter)
void winograd_filter(const float *w, float *u, int Ci, int Co, int flip, int tid, int nthreads) {
  int c0, c1;
  share(Ci, tid, nthreads, &c0, &c1);
  for (int c = c0; c < c1; c++) {
    for (int k = 0; k < Co; k++) {
      float g[3][3], a[3][6], o[6];
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
          g[i][j] = flip ? w[((2 - i) * 3 + (2 - j)) * Co * Ci + k * Ci + c] : w[(i * 3 + j) * Ci * Co + c * Co + k];
      for (int j = 0; j < 3; j++) filter_points(g[0][j], g[1][j], g[2][j], a[j]);
      for (int r = 0; r < 6; r++) {
        filter_points(a[0][r], a[1][r], a[2][r], o);
        for (int q = 0; q < 6; q++) u[((r * 6 + q) * Ci + c) * Co + k] = o[q];
      }
    }
  }
}

typedef struct {
  int H, W, Ci, Ho, Wo, Co, top, left, tiles_h, tiles_w, tiles;
} WinoShape;

/* A tile's image and its first output row and column; `valid` is 0 for a slot past the last tile. */
typedef struct {
  int n, oh, ow, valid;
} TilePos;

/* The positions of tiles first … first + tb − 1 (invalid past the last), in order. */
static void tile_positions(const WinoShape *s, int first, int tb, TilePos *pos) {
  int n = first / (s->tiles_h * s->tiles_w), th = first / s->tiles_w % s->tiles_h, tw = first % s->tiles_w;
  for (int slot = 0; slot < tb; slot++) {
    pos[slot] = (TilePos){n, th * 4, tw * 4, first + slot < s->tiles};
    if (++tw == s->tiles_w) {
      tw = 0;
      if (++th == s->tiles_h) th = 0, n++;
    }
  }
}

static inline vf times(vf a, float f) { return wasm_f32x4_mul(a, wasm_f32x4_splat(f)); }

/* B^T·d for 6 points d: 4(d0−d2) + (d4−d2), (d3+d4) − 4(d1+d2), (d4−d3) + 4(d1−d2), (d4−d2) ± 2(d3−d1), …. */
static inline __attribute__((always_inline)) void input_points(const vf d[6], vf o[6]) {
  const vf d42 = wasm_f32x4_sub(d[4], d[2]), d31 = times(wasm_f32x4_sub(d[3], d[1]), 2.0f);
  o[0] = wasm_f32x4_add(d42, times(wasm_f32x4_sub(d[0], d[2]), 4.0f));
  o[1] = wasm_f32x4_sub(wasm_f32x4_add(d[3], d[4]), times(wasm_f32x4_add(d[1], d[2]), 4.0f));
  o[2] = wasm_f32x4_add(wasm_f32x4_sub(d[4], d[3]), times(wasm_f32x4_sub(d[1], d[2]), 4.0f));
  o[3] = wasm_f32x4_add(d42, d31);
  o[4] = wasm_f32x4_sub(d42, d31);
  o[5] = wasm_f32x4_add(wasm_f32x4_sub(d[5], d[3]), times(wasm_f32x4_sub(d[1], d[3]), 4.0f));
}

/* B^T·d·B of one 6×6 patch of 4 channels (rows `d`), stored to o[ξ·stride]. */
static inline __attribute__((always_inline)) void winograd_input_transform(vf d[6][6], float *o, int stride) {
  vf t[6][6];
  for (int r = 0; r < 6; r++) input_points(d[r], t[r]);
  for (int q = 0; q < 6; q++) {
    const vf col[6] = {t[0][q], t[1][q], t[2][q], t[3][q], t[4][q], t[5][q]};
    vf out[6];
    input_points(col, out);
    for (int r = 0; r < 6; r++) wasm_v128_store(o + (r * 6 + q) * stride, out[r]);
  }
}

/*
 * The input transform of the 6×6 patch of x under the tile at `p` (zeros outside x; all zeros for an invalid
 * tile) into v[ξ·stride + c] for every channel, four at a time.
 */
static void winograd_input_tile(const float *x, float *v, const WinoShape *s, TilePos p, int stride) {
  const int h0 = p.oh - s->top, w0 = p.ow - s->left, Ci = s->Ci;
  const float *base = x + ((p.n * s->H + h0) * s->W + w0) * Ci;
  vf d[6][6];
  if (p.valid && h0 >= 0 && w0 >= 0 && h0 + 6 <= s->H && w0 + 6 <= s->W) {
    for (int c = 0; c < Ci; c += 4) {
      for (int r = 0; r < 6; r++)
        for (int q = 0; q < 6; q++) d[r][q] = wasm_v128_load(base + (r * s->W + q) * Ci + c);
      winograd_input_transform(d, v + c, stride);
    }
    return;
  }
  const int H = p.valid ? s->H : 0;
  for (int c = 0; c < Ci; c += 4) {
    for (int r = 0; r < 6; r++)
      for (int q = 0; q < 6; q++) {
        const int inside = h0 + r >= 0 && h0 + r < H && w0 + q >= 0 && w0 + q < s->W;
        d[r][q] = inside ? wasm_v128_load(base + (r * s->W + q) * Ci + c) : wasm_f32x4_splat(0.0f);
      }
    winograd_input_transform(d, v + c, stride);
  }
}

/*
 * m[t·8 + 4b] (4 tiles, 4·NV output channels) = Σ over c in order of v[t·Ci + c] · u[c·Co + 4b], for one ξ; v
 * and m are that ξ's planes at the first tile, u is U[ξ] at the first output channel.
 */
static inline __attribute__((always_inline)) void winograd_product(const float *v, const float *u, float *m,
                                                                  int Ci, int Co, const int NV) {
  vf acc[4][2];
  for (int t = 0; t < 4; t++)
    for (int b = 0; b < NV; b++) acc[t][b] = wasm_f32x4_splat(0.0f);
  for (int c = 0; c < Ci; c++) {
    vf uc[2];
    for (int b = 0; b < NV; b++) uc[b] = wasm_v128_load(u + c * Co + 4 * b);
    for (int t = 0; t < 4; t++) {
      const vf vt = wasm_v128_load32_splat(v + t * Ci + c);
      for (int b = 0; b < NV; b++) acc[t][b] = wasm_f32x4_add(acc[t][b], wasm_f32x4_mul(vt, uc[b]));
    }
  }
  for (int t = 0; t < 4; t++)
    for (int b = 0; b < NV; b++) wasm_v128_store(m + t * 8 + 4 * b, acc[t][b]);
}

/* A^T·m for 6 points m: m0 + (m1+m2) + (m3+m4), (m1−m2) + 2(m3−m4), (m1+m2) + 4(m3+m4), (m1−m2) + 8(m3−m4) + m5. */
static inline __attribute__((always_inline)) void output_points(const vf m[6], vf o[4]) {
  const vf s12 = wasm_f32x4_add(m[1], m[2]), d12 = wasm_f32x4_sub(m[1], m[2]);
  const vf s34 = wasm_f32x4_add(m[3], m[4]), d34 = wasm_f32x4_sub(m[3], m[4]);
  o[0] = wasm_f32x4_add(wasm_f32x4_add(m[0], s12), s34);
  o[1] = wasm_f32x4_add(d12, times(d34, 2.0f));
  o[2] = wasm_f32x4_add(s12, times(s34, 4.0f));
  o[3] = wasm_f32x4_add(wasm_f32x4_add(d12, times(d34, 8.0f)), m[5]);
}

/* The output transform A^T·m·A of the tile at `p` (block slot `slot`) for 4·NV channels from k0, into y. */
static void winograd_output_tile(const float *m, float *y, const WinoShape *s, TilePos p, int slot, int k0, int NV) {
  const int rows = min_i(4, s->Ho - p.oh), cols = min_i(4, s->Wo - p.ow);
  for (int b = 0; b < NV; b++) {
    vf a[6][4];
    for (int r = 0; r < 6; r++) {
      vf mr[6];
      for (int q = 0; q < 6; q++) mr[q] = wasm_v128_load(m + ((r * 6 + q) * WINO_TILES + slot) * 8 + 4 * b);
      output_points(mr, a[r]);
    }
    for (int j = 0; j < cols; j++) {
      const vf col[6] = {a[0][j], a[1][j], a[2][j], a[3][j], a[4][j], a[5][j]};
      vf out[4];
      output_points(col, out);
      float *yo = y + ((p.n * s->Ho + p.oh) * s->Wo + p.ow + j) * s->Co + k0 + 4 * b;
      for (int i = 0; i < rows; i++) wasm_v128_store(yo + i * s->Wo * s->Co, out[i]);
    }
  }
}

/*
 * The convolution y [N,Ho,Wo,Co] of x [N,H,W,Ci] with a 3×3 filter transformed by winograd_filter into u, stride
 * 1, `top` and `left` zero rows and columns of padding. Ci and Co must be multiples of 4. Blocks of WINO_TILES
 * tiles are shared among threads; `scratch` holds 36·(wino_plane(WINO_TILES, Ci) + 8·WINO_TILES) floats per
 * thread.
 */
EXPORT(winograd_conv)
void winograd_conv(const float *x, const float *u, float *y, float *scratch, int N, int H, int W, int Ci, int Ho,
                   int Wo, int Co, int top, int left, int tid, int nthreads) {
  const int tiles_h = (Ho + 3) / 4, tiles_w = (Wo + 3) / 4;
  const WinoShape s = {H, W, Ci, Ho, Wo, Co, top, left, tiles_h, tiles_w, N * tiles_h * tiles_w};
  const int vstride = wino_plane(WINO_TILES, Ci);
  float *v = scratch + (long long)tid * WINO_XI * (vstride + WINO_TILES * 8), *m = v + WINO_XI * vstride;
  TilePos pos[WINO_TILES];
  int b0, b1;
  share((s.tiles + WINO_TILES - 1) / WINO_TILES, tid, nthreads, &b0, &b1);
  for (int blk = b0; blk < b1; blk++) {
    const int first = blk * WINO_TILES, count = min_i(WINO_TILES, s.tiles - first);
    tile_positions(&s, first, WINO_TILES, pos);
    // Slots past the last tile are transformed as tiles of zeros, so the products read defined values.
    for (int slot = 0; slot < WINO_TILES; slot++) winograd_input_tile(x, v + slot * Ci, &s, pos[slot], vstride);
    for (int k0 = 0; k0 < Co; k0 += 8) {
      const int nv = Co - k0 >= 8 ? 2 : 1;
      for (int xi = 0; xi < WINO_XI; xi++) {
        const float *vx = v + xi * vstride, *ux = u + xi * Ci * Co + k0;
        float *mx = m + xi * WINO_TILES * 8;
        for (int slot = 0; slot < count; slot += 4) {
          if (nv == 2) winograd_product(vx + slot * Ci, ux, mx + slot * 8, Ci, Co, 2);
          else winograd_product(vx + slot * Ci, ux, mx + slot * 8, Ci, Co, 1);
        }
      }
      for (int slot = 0; slot < count; slot++) winograd_output_tile(m, y, &s, pos[slot], slot, k0, nv);
    }
  }
}

/*
 * The filter gradient by the same algorithm, F(3×3, 4×4): dW[tap] = Σ over output pixels p of x[p + tap]·dy[p]
 * is, per 4×4 tile of dy and the 6×6 patch of x under it, a 3×3 "output" from a 6×6 input and a 4×4 "filter".
 * Swapping the roles of F(4×4, 3×3)'s matrices gives it: x's patch is transformed by B^T·d·B as above, dy's tile
 * by A·g·A^T, their products are summed over all tiles (36 products per channel pair and tile instead of 144),
 * and G^T·M·G turns the 6×6 sums into the 3×3 taps. The tiles are summed in chunks, chunks in parallel, and the
 * chunk sums added in order at the end.
 */
#define WGRAD_TILES 16

/* A·g for 4 points g: g0, (g0+g2) ± (g1+g3), (g0+4g2) ± 2(g1+4g3), g3. */
static inline __attribute__((always_inline)) void dy_points(const vf g[4], vf o[6]) {
  const vf e = wasm_f32x4_add(g[0], g[2]), f = wasm_f32x4_add(g[1], g[3]);
  const vf e4 = wasm_f32x4_add(g[0], times(g[2], 4.0f)), f4 = times(wasm_f32x4_add(g[1], times(g[3], 4.0f)), 2.0f);
  o[0] = g[0];
  o[1] = wasm_f32x4_add(e, f);
  o[2] = wasm_f32x4_sub(e, f);
  o[3] = wasm_f32x4_add(e4, f4);
  o[4] = wasm_f32x4_sub(e4, f4);
  o[5] = g[3];
}

/*
 * The transform A·g·A^T of dy's 4×4 tile at `p` (zeros past the edge) into g[ξ·stride + k] for every channel,
 * four at a time.
 */
static void winograd_dy_tile(const float *dy, float *g, const WinoShape *s, TilePos p, int stride) {
  const float *base = dy + ((p.n * s->Ho + p.oh) * s->Wo + p.ow) * s->Co;
  const int rows = min_i(4, s->Ho - p.oh), cols = min_i(4, s->Wo - p.ow);
  const vf zero = wasm_f32x4_splat(0.0f);
  for (int k = 0; k < s->Co; k += 4) {
    vf t[4][6];
    for (int r = 0; r < 4; r++) {
      vf d[4];
      for (int q = 0; q < 4; q++) d[q] = r < rows && q < cols ? wasm_v128_load(base + (r * s->Wo + q) * s->Co + k) : zero;
      dy_points(d, t[r]);
    }
    for (int q = 0; q < 6; q++) {
      const vf col[4] = {t[0][q], t[1][q], t[2][q], t[3][q]};
      vf out[6];
      dy_points(col, out);
      for (int r = 0; r < 6; r++) wasm_v128_store(g + (r * 6 + q) * stride + k, out[r]);
    }
  }
}

/*
 * m[a·Co + 4b] (4 input channels, 4·NV output channels) += Σ over `count` tiles in order of xv[t·Ci + a] ·
 * gv[t·Co + 4b]: one ξ's planes, at the first channels.
 */
static inline __attribute__((always_inline)) void winograd_grad_product(const float *xv, const float *gv, float *m,
                                                                       int Ci, int Co, int count, const int NV) {
  vf acc[4][2];
  for (int a = 0; a < 4; a++)
    for (int b = 0; b < NV; b++) acc[a][b] = wasm_v128_load(m + a * Co + 4 * b);
  for (int t = 0; t < count; t++) {
    vf g[2];
    for (int b = 0; b < NV; b++) g[b] = wasm_v128_load(gv + t * Co + 4 * b);
    for (int a = 0; a < 4; a++) {
      const vf xa = wasm_v128_load32_splat(xv + t * Ci + a);
      for (int b = 0; b < NV; b++) acc[a][b] = wasm_f32x4_add(acc[a][b], wasm_f32x4_mul(xa, g[b]));
    }
  }
  for (int a = 0; a < 4; a++)
    for (int b = 0; b < NV; b++) wasm_v128_store(m + a * Co + 4 * b, acc[a][b]);
}

/* G^T·p for 6 sums p: the 3 taps p0/4 − (p1+p2)/6 + (p3+p4)/24, (p2−p1)/6 + (p3−p4)/12, (p3+p4 − p1−p2)/6 + p5. */
static inline void tap_points(const vf p[6], vf out[3]) {
  const vf s12 = wasm_f32x4_add(p[1], p[2]), d12 = wasm_f32x4_sub(p[2], p[1]);
  const vf s34 = wasm_f32x4_add(p[3], p[4]), d34 = wasm_f32x4_sub(p[3], p[4]);
  out[0] = wasm_f32x4_add(wasm_f32x4_sub(times(p[0], 0.25f), times(s12, 1.0f / 6.0f)), times(s34, 1.0f / 24.0f));
  out[1] = wasm_f32x4_add(times(d12, 1.0f / 6.0f), times(d34, 1.0f / 12.0f));
  out[2] = wasm_f32x4_add(times(wasm_f32x4_sub(s34, s12), 1.0f / 6.0f), p[5]);
}

/*
 * Conv2DBackpropFilter for a 3×3 filter, stride 1, dilation 1, NHWC, first half: the 6×6 sums of x [N,H,W,Ci] and
 * dy [N,Ho,Wo,Co] (with `top` and `left` padding) over each chunk of `chunk` consecutive tiles, into
 * partials[chunk][36][Ci][Co]. Ci and Co must be multiples of 4. Chunks are shared among threads; the chunk size
 * depends on the shapes only, so the sums do not depend on the thread count. `scratch` holds
 * 36·(wino_plane(WGRAD_TILES, Ci) + wino_plane(WGRAD_TILES, Co)) floats per thread.
 */
EXPORT(winograd_filter_grad)
void winograd_filter_grad(const float *x, const float *dy, float *partials, float *scratch, int N, int H, int W,
                          int Ci, int Ho, int Wo, int Co, int top, int left, int chunk, int tid, int nthreads) {
  const int tiles_h = (Ho + 3) / 4, tiles_w = (Wo + 3) / 4;
  const WinoShape s = {H, W, Ci, Ho, Wo, Co, top, left, tiles_h, tiles_w, N * tiles_h * tiles_w};
  const int xstride = wino_plane(WGRAD_TILES, Ci), gstride = wino_plane(WGRAD_TILES, Co);
  float *xv = scratch + (long long)tid * WINO_XI * (xstride + gstride), *gv = xv + WINO_XI * xstride;
  TilePos pos[WGRAD_TILES];
  int c0_chunk, c1_chunk;
  share((s.tiles + chunk - 1) / chunk, tid, nthreads, &c0_chunk, &c1_chunk);
  for (int ch = c0_chunk; ch < c1_chunk; ch++) {
    float *m = partials + (long long)ch * WINO_XI * Ci * Co;
    for (int i = 0; i < WINO_XI * Ci * Co; i += 4) wasm_v128_store(m + i, wasm_f32x4_splat(0.0f));
    const int end = min_i((ch + 1) * chunk, s.tiles);
    for (int first = ch * chunk; first < end; first += WGRAD_TILES) {
      const int count = min_i(WGRAD_TILES, end - first);
      tile_positions(&s, first, count, pos);
      for (int slot = 0; slot < count; slot++) {
        winograd_input_tile(x, xv + slot * Ci, &s, pos[slot], xstride);
        winograd_dy_tile(dy, gv + slot * Co, &s, pos[slot], gstride);
      }
      for (int xi = 0; xi < WINO_XI; xi++) {
        const float *xx = xv + xi * xstride, *gx = gv + xi * gstride;
        float *mx = m + xi * Ci * Co;
        for (int c0 = 0; c0 < Ci; c0 += 4) {
          for (int k0 = 0; k0 < Co; k0 += 8) {
            if (Co - k0 >= 8) winograd_grad_product(xx + c0, gx + k0, mx + c0 * Co + k0, Ci, Co, count, 2);
            else winograd_grad_product(xx + c0, gx + k0, mx + c0 * Co + k0, Ci, Co, count, 1);
          }
        }
      }
    }
  }
}

/*
 * Conv2DBackpropFilter, second half: dw [3][3][Ci][Co] = G^T·M·G of M, the sum of the `chunks` partial sums in
 * chunk order. Input channels are shared among threads.
 */
EXPORT(winograd_filter_grad_finish)
void winograd_filter_grad_finish(const float *partials, float *dw, int chunks, int Ci, int Co, int tid,
                                 int nthreads) {
  int c_lo, c_hi;
  share(Ci, tid, nthreads, &c_lo, &c_hi);
  for (int c = c_lo; c < c_hi; c++) {
    for (int k = 0; k < Co; k += 4) {
      vf rows[6][3];
      for (int r = 0; r < 6; r++) {
        vf p[6];
        for (int q = 0; q < 6; q++) {
          const float *at = partials + ((r * 6 + q) * Ci + c) * Co + k;
          p[q] = wasm_v128_load(at);
          for (int ch = 1; ch < chunks; ch++) {
            p[q] = wasm_f32x4_add(p[q], wasm_v128_load(at + (long long)ch * WINO_XI * Ci * Co));
          }
        }
        tap_points(p, rows[r]);
      }
      for (int j = 0; j < 3; j++) {
        const vf col[6] = {rows[0][j], rows[1][j], rows[2][j], rows[3][j], rows[4][j], rows[5][j]};
        vf taps[3];
        tap_points(col, taps);
        for (int i = 0; i < 3; i++) wasm_v128_store(dw + ((i * 3 + j) * Ci + c) * Co + k, taps[i]);
      }
    }
  }
}

/* wt[tap][k][c] = w[tap][c][k]: a filter [taps][Ci][Co] with its channel axes swapped; taps shared among threads. */
EXPORT(filter_swap_channels)
void filter_swap_channels(const float *w, float *wt, int taps, int Ci, int Co, int tid, int nthreads) {
  int t0, t1;
  share(taps, tid, nthreads, &t0, &t1);
  for (int t = t0; t < t1; t++)
    for (int c = 0; c < Ci; c++)
      for (int k = 0; k < Co; k++) wt[(t * Co + k) * Ci + c] = w[(t * Ci + c) * Co + k];
}

/*
 * dx[pixels q < NQ, 4·NV channels from c0] = Σ over valid taps (i, j) in order, then over k in order, of
 * dy[oh][ow + q][k] · wt[i][j][k][c]. The NQ pixels are dx's columns w, w + sw, …, which share their valid
 * column taps and read consecutive dy columns; `ow0[j]` is the first pixel's dy column for tap j (or −1 when
 * tap j does not reach it).
 */
static inline __attribute__((always_inline)) void input_grad_pixels(
    const float *dy_row_base, const float *wt, float *dx, const ConvShape *s, const int *ohs, int nvalid_i,
    const int *ow0, int c0, int dxstep, const int NQ, const int NV) {
  vf acc[4][2];
  for (int q = 0; q < NQ; q++)
    for (int b = 0; b < NV; b++) acc[q][b] = wasm_f32x4_splat(0.0f);
  for (int a = 0; a < nvalid_i; a++) {
    const int i = ohs[2 * a], oh = ohs[2 * a + 1];
    for (int j = 0; j < s->kw; j++) {
      if (ow0[j] < 0) continue;
      const float *g = dy_row_base + (oh * s->Wo + ow0[j]) * s->Co;
      const float *f = wt + ((i * s->kw + j) * s->Co) * s->Ci + c0;
      for (int k = 0; k < s->Co; k++, f += s->Ci) {
        vf fk[2];
        for (int b = 0; b < NV; b++) fk[b] = wasm_v128_load(f + 4 * b);
        for (int q = 0; q < NQ; q++) {
          const vf gq = wasm_v128_load32_splat(g + q * s->Co + k);
          for (int b = 0; b < NV; b++) acc[q][b] = wasm_f32x4_add(acc[q][b], wasm_f32x4_mul(gq, fk[b]));
        }
      }
    }
  }
  for (int q = 0; q < NQ; q++)
    for (int b = 0; b < NV; b++) wasm_v128_store(dx + q * dxstep + c0 + 4 * b, acc[q][b]);
}

/*
 * Conv2DBackpropInput, NHWC, dilation 1, any filter size and stride: dx [N,H,W,Ci] from dy [N,Ho,Wo,Co] and the
 * filter with its channel axes swapped (wt [kh][kw][Co][Ci], from filter_swap_channels). Each dx element sums
 * only the taps that reach it, in a fixed order (no zero-dilated dy). Ci must be a multiple of 4. Rows of dx
 * are shared among threads.
 */
EXPORT(conv2d_input_grad)
void conv2d_input_grad(const float *dy, const float *wt, float *dx, int N, int H, int W, int Ci, int Ho, int Wo,
                       int Co, int kh, int kw, int sh, int sw, int top, int left, int tid, int nthreads) {
  const ConvShape s = {H, W, Ci, Ho, Wo, Co, kw, sh, sw, top, left};
  int ohs[2 * 16], ow0[16], r0, r1;
  share(N * H, tid, nthreads, &r0, &r1);
  for (int row = r0; row < r1; row++) {
    const int n = row / H, h = row % H;
    const float *dy_image = dy + n * Ho * Wo * Co;
    int nvalid_i = 0;
    for (int i = 0; i < kh && nvalid_i < 16; i++) {
      const int t = h + top - i;
      if (t >= 0 && t % sh == 0 && t / sh < Ho) ohs[2 * nvalid_i] = i, ohs[2 * nvalid_i + 1] = t / sh, nvalid_i++;
    }
    float *dx_row = dx + row * W * Ci;
    for (int rho = 0; rho < sw && rho < W; rho++) {
      // Columns w = rho, rho + sw, …: tap j reaches them when (w + left − j) is a multiple of sw.
      for (int w = rho; w < W;) {
        int q_max = 4;
        for (int j = 0; j < kw && j < 16; j++) {
          const int t = w + left - j;
          if (t < 0 || t % sw != 0) {
            ow0[j] = -1;
            continue;
          }
          ow0[j] = t / sw;
          // Pixels w + q·sw read dy column ow0[j] + q: stop the group where a tap leaves dy.
          if (ow0[j] >= Wo) ow0[j] = -1;
          else q_max = min_i(q_max, Wo - ow0[j]);
        }
        // A tap that does not reach w may reach w + sw (columns only move right), so a group of several pixels
        // needs every tap to be valid or invalid alike for all of them: true when no tap starts below zero.
        int nq = min_i(q_max, (W - 1 - w) / sw + 1);
        for (int j = 0; j < kw; j++)
          if (ow0[j] < 0 && w + left - j < 0) nq = 1;
        for (int c0 = 0; c0 < Ci; c0 += 8) {
          const int nv = Ci - c0 >= 8 ? 2 : 1;
          float *d = dx_row + w * Ci;
          const int step = sw * Ci;
          if (nq >= 4 && nv == 2) input_grad_pixels(dy_image, wt, d, &s, ohs, nvalid_i, ow0, c0, step, 4, 2);
          else if (nq >= 4) input_grad_pixels(dy_image, wt, d, &s, ohs, nvalid_i, ow0, c0, step, 4, 1);
          else if (nv == 2) input_grad_pixels(dy_image, wt, d, &s, ohs, nvalid_i, ow0, c0, step, 1, 2);
          else input_grad_pixels(dy_image, wt, d, &s, ohs, nvalid_i, ow0, c0, step, 1, 1);
        }
        w += (nq >= 4 ? 4 : 1) * sw;
      }
    }
  }
}

/*
 * The gradient of ReLU, fused: out = dy · step(x), where step is tfjs's (NaN for NaN, else 1 where x > 0 and 0
 * elsewhere), so out has the bits of the stock Step, Cast and Multiply (−0 where dy < 0 and x ≤ 0). Blocks of
 * 4 elements are shared among threads.
 */
EXPORT(relu_grad)
void relu_grad(const float *x, const float *dy, float *out, int n, int tid, int nthreads) {
  int b0, b1;
  share((n + 3) / 4, tid, nthreads, &b0, &b1);
  const vf one = wasm_f32x4_splat(1.0f), zero = wasm_f32x4_splat(0.0f);
  const int end = min_i(b1 * 4, n), vend = min_i(b1 * 4, n / 4 * 4);
  int i = b0 * 4;
  for (; i < vend; i += 4) {
    const vf xv = wasm_v128_load(x + i);
    const vf step = wasm_v128_bitselect(one, zero, wasm_f32x4_gt(xv, zero));
    const vf masked = wasm_v128_bitselect(xv, step, wasm_f32x4_ne(xv, xv));
    wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(dy + i), masked));
  }
  for (; i < end; i++) out[i] = dy[i] * (x[i] != x[i] ? x[i] : x[i] > 0.0f ? 1.0f : 0.0f);
}

/*
 * Slice of a rank-4 tensor of 4-byte elements: y [s0,s1,s2,s3] = x [d0,d1,d2,d3] from (b0, b1, b2, b3). A copy,
 * so any 4-byte type keeps its bits; rows of y (its first three axes) are shared among threads.
 */
EXPORT(slice4)
void slice4(const float *x, float *y, int d1, int d2, int d3, int b0, int b1, int b2, int b3, int s0, int s1,
            int s2, int s3, int tid, int nthreads) {
  int r0, r1;
  share(s0 * s1 * s2, tid, nthreads, &r0, &r1);
  for (int r = r0; r < r1; r++) {
    const int i = r / (s1 * s2), j = r / s2 % s1, k = r % s2;
    const float *src = x + (((long long)(b0 + i) * d1 + b1 + j) * d2 + b2 + k) * d3 + b3;
    float *dst = y + (long long)r * s3;
    int c = 0;
    for (; c + 4 <= s3; c += 4) wasm_v128_store(dst + c, wasm_v128_load(src + c));
    for (; c < s3; c++) dst[c] = src[c];
  }
}
