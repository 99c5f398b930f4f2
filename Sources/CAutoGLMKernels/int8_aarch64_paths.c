// The calls that go to the aarch64 int8 matmul path chosen at start-up. The path is read
// from the kernel's CPU feature bits (aglm_kernel_path_supported in kernel_dispatch.c, by
// KernelPath.detected), never from build flags: one armv8.0 binary runs SMMLA, SDOT or
// plain NEON, whichever the CPU it lands on has. The i8mm path also needs dotprod:
// one-token calls go to the SDOT kernel, where a 2×2 SMMLA tile would waste half its
// products on a duplicate token.
#include "aarch64_int8_common.h"

// Q8_0 (q4 == 0) or Q4_0 (q4 == 1) rows on `path`.
static int32_t scaled_block_rows(int32_t path, int q4, const void *weights, int64_t row_bytes, int64_t cols,
                                 int64_t row_begin, int64_t row_end, const int8_t *xq, const float *xd, int64_t tokens,
                                 float *out, int64_t out_stride) {
#if defined(__aarch64__)
    switch (path == AGLM_AARCH64_NEON_I8MM && tokens == 1 ? AGLM_AARCH64_NEON_DOTPROD : path) {
    case AGLM_AARCH64_NEON_I8MM:
        return (q4 ? aglm_i8mm_q4_0_rows : aglm_i8mm_q8_0_rows)(weights, row_bytes, cols, row_begin, row_end, xq, xd,
                                                                tokens, out, out_stride);
    case AGLM_AARCH64_NEON_DOTPROD:
        return (q4 ? aglm_dotprod_q4_0_rows : aglm_dotprod_q8_0_rows)(weights, row_bytes, cols, row_begin, row_end, xq,
                                                                      xd, tokens, out, out_stride);
    case AGLM_AARCH64_NEON:
        return (q4 ? aglm_neon_q4_0_rows : aglm_neon_q8_0_rows)(weights, row_bytes, cols, row_begin, row_end, xq, xd,
                                                                tokens, out, out_stride);
    default:
        return 0;
    }
#else
    (void)path; (void)q4; (void)weights; (void)row_bytes; (void)cols; (void)row_begin; (void)row_end; (void)xq; (void)xd;
    (void)tokens; (void)out; (void)out_stride;
    return 0;
#endif
}

int32_t aglm_aarch64_q8_0_rows(int32_t path, const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin,
                               int64_t row_end, const int8_t *xq, const float *xd, int64_t tokens, float *out,
                               int64_t out_stride) {
    return scaled_block_rows(path, 0, weights, row_bytes, cols, row_begin, row_end, xq, xd, tokens, out, out_stride);
}

int32_t aglm_aarch64_q4_0_rows(int32_t path, const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin,
                               int64_t row_end, const int8_t *xq, const float *xd, int64_t tokens, float *out,
                               int64_t out_stride) {
    return scaled_block_rows(path, 1, weights, row_bytes, cols, row_begin, row_end, xq, xd, tokens, out, out_stride);
}

int32_t aglm_aarch64_int8_rows(int32_t path, const int8_t *weights, int64_t cols, int64_t row_begin, int64_t row_end,
                               const float *row_scales, const int8_t *zero_points, const int8_t *xq, const float *xd,
                               int64_t tokens, float *out, int64_t out_stride) {
#if defined(__aarch64__)
    switch (path == AGLM_AARCH64_NEON_I8MM && tokens == 1 ? AGLM_AARCH64_NEON_DOTPROD : path) {
    case AGLM_AARCH64_NEON_I8MM:
        return aglm_i8mm_int8_rows(weights, cols, row_begin, row_end, row_scales, zero_points, xq, xd, tokens, out,
                                   out_stride);
    case AGLM_AARCH64_NEON_DOTPROD:
        return aglm_dotprod_int8_rows(weights, cols, row_begin, row_end, row_scales, zero_points, xq, xd, tokens, out,
                                      out_stride);
    case AGLM_AARCH64_NEON:
        return aglm_neon_int8_rows(weights, cols, row_begin, row_end, row_scales, zero_points, xq, xd, tokens, out,
                                   out_stride);
    default:
        return 0;
    }
#else
    (void)path; (void)weights; (void)cols; (void)row_begin; (void)row_end; (void)row_scales; (void)zero_points; (void)xq;
    (void)xd; (void)tokens; (void)out; (void)out_stride;
    return 0;
#endif
}
