// F32 / F16 / BF16 weights against Float activations with ReferenceDot.floatWeights'
// arithmetic: element i goes to lane i % 8, each product rounded then added (no FMA), the
// 8 lanes reduced as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)). One 8-lane register per
// (row, token) pair is that loop exactly; a tile of rows × tokens reuses every load.
// The avx512vnni path's float matmul: the same 256-bit arithmetic as float_avx2.c (so the
// same bits), with a 6 × 4 tile that only the 32 registers AVX-512VL gives can hold.
#include "kernel_prologue.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "x86_kernels.h"

#define X86_KERNEL __attribute__((target("avx2,f16c,avx512f,avx512vl")))
// Specialised in full: `type`, `nr` and `nt` must be constants where these are inlined, so
// the tile's accumulators live in registers (a runtime-sized tile kept them on the stack,
// a load, add and store per product, and ran about 10x slower).
#define INLINE_KERNEL X86_KERNEL static inline __attribute__((always_inline))
// 6 rows × 4 tokens: 24 accumulators, 4 activation vectors and a weight vector fit the 32
// ymm registers AVX-512VL gives (a few % faster than 4 × 6 on Zen 4).
#define ROW_TILE 6
#define TOKEN_TILE 4

#define FLOAT_LANES_KERNEL INLINE_KERNEL
#include "float_lanes.h"

/// out[t][r] for r < nr, t < nt: one 8-lane accumulator per (row, token) pair.
INLINE_KERNEL void tile(const int32_t type, const uint8_t *w, int64_t row_bytes, const int nr, const float *x,
                        int64_t x_stride, const int nt, int64_t cols, float *out, int64_t out_stride) {
    __m256 acc[ROW_TILE][TOKEN_TILE];
    for (int r = 0; r < nr; r++)
        for (int t = 0; t < nt; t++) acc[r][t] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= cols; i += 8) {
        __m256 xv[TOKEN_TILE];
        for (int t = 0; t < nt; t++) xv[t] = _mm256_loadu_ps(x + t * x_stride + i);
        for (int r = 0; r < nr; r++) {
            const __m256 wv = load8(type, w + r * row_bytes, i);
            for (int t = 0; t < nt; t++) acc[r][t] = _mm256_add_ps(acc[r][t], _mm256_mul_ps(wv, xv[t]));
        }
    }
    for (int r = 0; r < nr; r++) {
        for (int t = 0; t < nt; t++) {
            float lanes[8];
            _mm256_storeu_ps(lanes, acc[r][t]);
            // Tail elements land in lanes 0..<(cols − i), as in ReferenceDot.
            for (int64_t j = i; j < cols; j++) {
                const float product = load1(type, w + r * row_bytes, j) * x[t * x_stride + j];
                lanes[j - i] = lanes[j - i] + product;
            }
            out[t * out_stride + r] = reduce8(_mm256_loadu_ps(lanes));
        }
    }
}

/// `tile` with nt (1...TOKEN_TILE) turned into a constant.
#define TILE_FOR_TOKENS(TYPE, NR, NT)                                                                   \
    switch (NT) {                                                                                       \
    case 1: tile(TYPE, w, row_bytes, NR, x, x_stride, 1, cols, out, out_stride); break;                 \
    case 2: tile(TYPE, w, row_bytes, NR, x, x_stride, 2, cols, out, out_stride); break;                 \
    case 3: tile(TYPE, w, row_bytes, NR, x, x_stride, 3, cols, out, out_stride); break;                 \
    default: tile(TYPE, w, row_bytes, NR, x, x_stride, TOKEN_TILE, cols, out, out_stride); break;       \
    }

/// Rows [row_begin, row_end) × every token, in tiles: ROW_TILE rows at a time (single
/// rows at the end), each row tile against every token tile while its weights are in L1.
INLINE_KERNEL void float_matmul_of_type(const int32_t type, const uint8_t *weights, int64_t row_bytes, int64_t cols,
                                        int64_t row_begin, int64_t row_end, const float *x_all, int64_t x_stride,
                                        int64_t tokens, float *out_all, int64_t out_stride) {
    for (int64_t r0 = row_begin; r0 < row_end;) {
        const int full = row_end - r0 >= ROW_TILE;
        for (int64_t t0 = 0; t0 < tokens; t0 += TOKEN_TILE) {
            const int nt = (int)(tokens - t0 < TOKEN_TILE ? tokens - t0 : TOKEN_TILE);
            const uint8_t *w = weights + r0 * row_bytes;
            const float *x = x_all + t0 * x_stride;
            float *out = out_all + t0 * out_stride + r0;
            if (full) {
                TILE_FOR_TOKENS(type, ROW_TILE, nt)
            } else {
                TILE_FOR_TOKENS(type, 1, nt)
            }
        }
        r0 += full ? ROW_TILE : 1;
    }
}

// F16/BF16 rows widened to F32 once per row tile when several token tiles reuse them
// (prefill), instead of once per token tile: the same values (widening is exact), so the
// same bits, and the conversions leave the FP pipes to the products.
#define WIDEN_MAX_COLS 4096

INLINE_KERNEL void widened_float_matmul(const int32_t type, const uint8_t *weights, int64_t row_bytes, int64_t cols,
                                        int64_t row_begin, int64_t row_end, const float *x, int64_t x_stride,
                                        int64_t tokens, float *out, int64_t out_stride) {
    float wide[ROW_TILE * WIDEN_MAX_COLS];
    for (int64_t r0 = row_begin; r0 < row_end; r0 += ROW_TILE) {
        const int64_t nr = row_end - r0 < ROW_TILE ? row_end - r0 : ROW_TILE;
        for (int64_t r = 0; r < nr; r++) {
            const uint8_t *row = weights + (r0 + r) * row_bytes;
            int64_t i = 0;
            for (; i + 8 <= cols; i += 8) _mm256_storeu_ps(wide + r * cols + i, load8(type, row, i));
            for (; i < cols; i++) wide[r * cols + i] = load1(type, row, i);
        }
        float_matmul_of_type(AGLM_FLOAT_F32, (const uint8_t *)wide, cols * 4, cols, 0, nr, x, x_stride, tokens,
                             out + r0, out_stride);
    }
}

X86_KERNEL static void float_matmul(int32_t type, const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin,
                                    int64_t row_end, const float *x, int64_t x_stride, int64_t tokens, float *out,
                                    int64_t out_stride) {
    const uint8_t *w = (const uint8_t *)weights;
    switch (type) {
    case AGLM_FLOAT_F32:
        float_matmul_of_type(AGLM_FLOAT_F32, w, row_bytes, cols, row_begin, row_end, x, x_stride, tokens, out, out_stride);
        break;
    case AGLM_FLOAT_F16:
        if (tokens > TOKEN_TILE && cols <= WIDEN_MAX_COLS) {
            widened_float_matmul(AGLM_FLOAT_F16, w, row_bytes, cols, row_begin, row_end, x, x_stride, tokens, out, out_stride);
        } else {
            float_matmul_of_type(AGLM_FLOAT_F16, w, row_bytes, cols, row_begin, row_end, x, x_stride, tokens, out, out_stride);
        }
        break;
    default:
        if (tokens > TOKEN_TILE && cols <= WIDEN_MAX_COLS) {
            widened_float_matmul(AGLM_FLOAT_BF16, w, row_bytes, cols, row_begin, row_end, x, x_stride, tokens, out, out_stride);
        } else {
            float_matmul_of_type(AGLM_FLOAT_BF16, w, row_bytes, cols, row_begin, row_end, x, x_stride, tokens, out, out_stride);
        }
        break;
    }
}

void aglm_float_matmul_avx512(int32_t type, const void *weights, int64_t row_bytes, int64_t cols, int64_t row_begin,
                              int64_t row_end, const float *x, int64_t x_stride, int64_t tokens, float *out,
                              int64_t out_stride) {
    float_matmul(type, weights, row_bytes, cols, row_begin, row_end, x, x_stride, tokens, out, out_stride);
}

#endif
