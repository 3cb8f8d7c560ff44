/* Winograd F(4×4, 3×3) convolutions and their gradients. */
#include "common.h"

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
 * forward filter turned 180° with its channel axes swapped. Input channels go to whichever thread asks first.
 */
EXPORT(winograd_filter)
void winograd_filter(const float *w, float *u, int Ci, int Co, int flip, int tid, int nthreads, int *claims) {
  const int items = Ci;
  for (int c; (c = claim(claims, items)) >= 0;) {
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
 * tiles go to whichever thread asks first; `scratch` holds 36·(wino_plane(WINO_TILES, Ci) + 8·WINO_TILES) floats per
 * thread.
 */
EXPORT(winograd_conv)
void winograd_conv(const float *x, const float *u, float *y, float *scratch, int N, int H, int W, int Ci, int Ho,
                   int Wo, int Co, int top, int left, int tid, int nthreads, int *claims) {
  const int tiles_h = (Ho + 3) / 4, tiles_w = (Wo + 3) / 4;
  const WinoShape s = {H, W, Ci, Ho, Wo, Co, top, left, tiles_h, tiles_w, N * tiles_h * tiles_w};
  const int vstride = wino_plane(WINO_TILES, Ci);
  float *v = scratch + (long long)tid * WINO_XI * (vstride + WINO_TILES * 8), *m = v + WINO_XI * vstride;
  TilePos pos[WINO_TILES];
  const int items = (s.tiles + WINO_TILES - 1) / WINO_TILES;
  for (int blk; (blk = claim(claims, items)) >= 0;) {
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
 * partials[chunk][36][Ci][Co]. Ci and Co must be multiples of 4. Chunks go to whichever thread asks first; the chunk size
 * depends on the shapes only, so the sums do not depend on the thread count. `scratch` holds
 * 36·(wino_plane(WGRAD_TILES, Ci) + wino_plane(WGRAD_TILES, Co)) floats per thread.
 */
EXPORT(winograd_filter_grad)
void winograd_filter_grad(const float *x, const float *dy, float *partials, float *scratch, int N, int H, int W,
                          int Ci, int Ho, int Wo, int Co, int top, int left, int chunk, int tid, int nthreads, int *claims) {
  const int tiles_h = (Ho + 3) / 4, tiles_w = (Wo + 3) / 4;
  const WinoShape s = {H, W, Ci, Ho, Wo, Co, top, left, tiles_h, tiles_w, N * tiles_h * tiles_w};
  const int xstride = wino_plane(WGRAD_TILES, Ci), gstride = wino_plane(WGRAD_TILES, Co);
  float *xv = scratch + (long long)tid * WINO_XI * (xstride + gstride), *gv = xv + WINO_XI * xstride;
  TilePos pos[WGRAD_TILES];
  const int items = (s.tiles + chunk - 1) / chunk;
  for (int ch; (ch = claim(claims, items)) >= 0;) {
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
 * chunk order. Input channels go to whichever thread asks first.
 */
EXPORT(winograd_filter_grad_finish)
void winograd_filter_grad_finish(const float *partials, float *dw, int chunks, int Ci, int Co, int tid,
                                 int nthreads, int *claims) {
  const int items = Ci;
  for (int c; (c = claim(claims, items)) >= 0;) {
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
