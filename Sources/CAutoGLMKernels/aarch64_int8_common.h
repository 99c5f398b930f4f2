// What the aarch64 int8 matmul paths share (a private header): block sizes, the tile
// stores, and the entry points of each path for the dispatcher (int8_aarch64_paths.c).
// Each path has the contract of aglm_aarch64_q8_0_rows / aglm_aarch64_int8_rows in
// CAutoGLMKernels.h.
#ifndef AGLM_AARCH64_INT8_COMMON_H
#define AGLM_AARCH64_INT8_COMMON_H

#include "kernel_prologue.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

#define AGLM_A64_BLOCK 32
#define AGLM_A64_Q8_BLOCK_BYTES 34
#define AGLM_A64_Q4_BLOCK_BYTES 18

// [Σa, Σb, Σc, Σd] of four vectors' lanes (exact: int32 sums).
static inline int32x4_t aglm_a64_lane_sums(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
    return vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d));
}

// A 2×2 tile's [r·t, r·t1, r1·t, r1·t1] into out, skipping the duplicates of an unpaired row or token.
static inline void aglm_a64_store_tile(float32x4_t acc, float *out, int64_t out_stride, int64_t r, int64_t r1, int64_t t,
                                       int64_t t1) {
    out[t * out_stride + r] = vgetq_lane_f32(acc, 0);
    if (t1 != t) out[t1 * out_stride + r] = vgetq_lane_f32(acc, 1);
    if (r1 != r) {
        out[t * out_stride + r1] = vgetq_lane_f32(acc, 2);
        if (t1 != t) out[t1 * out_stride + r1] = vgetq_lane_f32(acc, 3);
    }
}

// The four rows of a one-token tile starting at r and where they start in `weights`
// (rows of row_bytes); past row_end the last row repeats.
static inline void aglm_a64_quad_rows(int64_t r, int64_t row_end, const void *weights, int64_t row_bytes, int64_t rows[4],
                                      const int8_t *starts[4]) {
    for (int i = 0; i < 4; i++) {
        rows[i] = r + i < row_end ? r + i : row_end - 1;
        starts[i] = (const int8_t *)weights + rows[i] * row_bytes;
    }
}

// A one-token tile's four results into out[rows[i]], each row once.
static inline void aglm_a64_store_quad(float32x4_t acc, float *out, const int64_t rows[4]) {
    out[rows[0]] = vgetq_lane_f32(acc, 0);
    if (rows[1] != rows[0]) out[rows[1]] = vgetq_lane_f32(acc, 1);
    if (rows[2] != rows[1]) out[rows[2]] = vgetq_lane_f32(acc, 2);
    if (rows[3] != rows[2]) out[rows[3]] = vgetq_lane_f32(acc, 3);
}

#define AGLM_A64_PATH_DECLARATIONS(prefix)                                                                              \
    int32_t prefix##_q8_0_rows(const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin, int64_t row_end, \
                               const int8_t *xq, const float *xd, int64_t tokens, float *out, int64_t out_stride);      \
    int32_t prefix##_q4_0_rows(const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin, int64_t row_end, \
                               const int8_t *xq, const float *xd, int64_t tokens, float *out, int64_t out_stride);      \
    int32_t prefix##_int8_rows(const int8_t *weights, int64_t cols, int64_t row_begin, int64_t row_end,                 \
                               const float *row_scales, const int8_t *zero_points, const int8_t *xq, const float *xd,   \
                               int64_t tokens, float *out, int64_t out_stride);

AGLM_A64_PATH_DECLARATIONS(aglm_neon)
AGLM_A64_PATH_DECLARATIONS(aglm_dotprod)
AGLM_A64_PATH_DECLARATIONS(aglm_i8mm)

#endif
#endif
