/*
 * What every file of our wasm SIMD kernels shares: the .c files of lib/backends/wasm/simd/, which
 * lib/backends/wasm/build_simd.ts links into one module (simd_kernels.wasm; lib/backends/wasm/simd_pool.ts runs
 * it), one file per kind of kernel.
 *
 * The module imports tfjs-backend-wasm's own shared memory and works on its tensors in place: pointers are
 * addresses on that heap. So it must own no memory of its own: no data segments, no static variables, no
 * start function (the build checks this). Its stack is a block the pool allocates on the heap, one per thread.
 *
 * The pool calls every kernel with (…, tid, nthreads, claims). A kernel splits its outputs into work items that
 * threads take from `claims` (see claim) or, where a thread must keep its outputs across an outer loop, into
 * fixed shares (see share). Each output element is computed wholly by one thread, in an order that depends on
 * neither the thread count nor which thread computes it, so results are the same bits with any number of
 * threads. Plain f32x4 mul and add (no fused multiply-add), so they are the same bits on every machine.
 */
#ifndef SIMD_COMMON_H
#define SIMD_COMMON_H

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

/* Values per work item of the elementwise kernels: enough that taking an item costs nothing next to it. */
#define ITEM_FLOATS 8192

/* Rows per work item of a pass over rows of `width` values: whole rows, about ITEM_FLOATS values. */
static inline int rows_per_item(int width) { return max_i(1, ITEM_FLOATS / max_i(width, 1)); }

/*
 * The next of the `total` work items of the current job, or −1 when none is left. Threads take items one at a
 * time from `claims`, a counter the pool zeroes before each job, so a thread that the system slows down takes
 * fewer items instead of holding up the others.
 */
static inline int claim(int *claims, int total) {
  const int item = __atomic_fetch_add(claims, 1, __ATOMIC_RELAXED);
  return item < total ? item : -1;
}

typedef struct {
  int H, W, Ci, Ho, Wo, Co, kw, sh, sw, top, left;
} ConvShape;

#endif
