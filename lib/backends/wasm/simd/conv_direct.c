/* Direct convolution gradients: the filter gradient of any convolution, the input gradient of strided ones. */
#include "common.h"

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
 * Co must be a multiple of 4. Tiles of (tap, 4 input channels, 8 output channels) are shared among threads in
 * fixed shares, since a thread sums into its tiles over all images: images are the outer loop, so one image's x and dy stay in cache while every tile of this thread reads them.
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

/* wt[tap][k][c] = w[tap][c][k]: a filter [taps][Ci][Co] with its channel axes swapped; taps go to whichever thread asks first. */
EXPORT(filter_swap_channels)
void filter_swap_channels(const float *w, float *wt, int taps, int Ci, int Co, int tid, int nthreads,
                          int *claims) {
  const int items = taps;
  for (int t; (t = claim(claims, items)) >= 0;)
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
 * go to whichever thread asks first.
 */
EXPORT(conv2d_input_grad)
void conv2d_input_grad(const float *dy, const float *wt, float *dx, int N, int H, int W, int Ci, int Ho, int Wo,
                       int Co, int kh, int kw, int sh, int sw, int top, int left, int tid, int nthreads, int *claims) {
  const ConvShape s = {H, W, Ci, Ho, Wo, Co, kw, sh, sw, top, left};
  int ohs[2 * 16], ow0[16];
  const int items = N * H;
  for (int row; (row = claim(claims, items)) >= 0;) {
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
