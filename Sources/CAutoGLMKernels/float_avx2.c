// F32 / F16 / BF16 weights against Float activations with ReferenceDot.floatWeights'
// arithmetic: element i goes to lane i % 8, each product rounded then added (no FMA), the
// 8 lanes reduced as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)). One 8-lane register per
// (row, token) pair is that loop exactly; a tile of rows × tokens reuses every load.
// AVX2 + F16C only: the order is 8 lanes wide, so wider registers would not change the
// work, and the AVX-512 path runs this same code.
#include "kernel_prologue.h"
#include "x86_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define X86_KERNEL __attribute__((target("avx2,f16c")))
#define ROW_TILE 4
#define TOKEN_TILE 3

X86_KERNEL static inline __m256 load8(int32_t type, const uint8_t *row, int64_t i) {
    switch (type) {
    case AGLM_FLOAT_F32: return _mm256_loadu_ps((const float *)row + i);
    case AGLM_FLOAT_F16: return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + i)));
    default: {
        const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + i)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
    }
    }
}

X86_KERNEL static inline float load1(int32_t type, const uint8_t *row, int64_t i) {
    switch (type) {
    case AGLM_FLOAT_F32: return ((const float *)row)[i];
    case AGLM_FLOAT_F16: return _cvtsh_ss(((const uint16_t *)row)[i]);
    default: {
        const uint32_t bits = (uint32_t)((const uint16_t *)row)[i] << 16;
        float f;
        __builtin_memcpy(&f, &bits, 4);
        return f;
    }
    }
}

X86_KERNEL static inline float reduce8(__m256 acc) {
    // ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))
    const __m128 half = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));  // l_i + l_{i+4}
    const __m128 quarter = _mm_add_ps(half, _mm_movehl_ps(half, half));                          // (0)+(2), (1)+(3)
    return _mm_cvtss_f32(_mm_add_ss(quarter, _mm_shuffle_ps(quarter, quarter, 1)));
}

X86_KERNEL static void tile(int32_t type, const uint8_t *w, int64_t row_bytes, int nr, const float *x, int64_t x_stride,
                            int nt, int64_t cols, float *out, int64_t out_stride) {
    __m256 acc[ROW_TILE][TOKEN_TILE];
    for (int r = 0; r < ROW_TILE; r++)
        for (int t = 0; t < TOKEN_TILE; t++) acc[r][t] = _mm256_setzero_ps();
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

X86_KERNEL void aglm_float_matmul_avx2(int32_t type, const void *weights, int64_t row_bytes, int64_t cols,
                                       int64_t row_begin, int64_t row_end, const float *x, int64_t x_stride, int64_t tokens,
                                       float *out, int64_t out_stride) {
    for (int64_t r0 = row_begin; r0 < row_end; r0 += ROW_TILE) {
        const int nr = (int)(row_end - r0 < ROW_TILE ? row_end - r0 : ROW_TILE);
        for (int64_t t0 = 0; t0 < tokens; t0 += TOKEN_TILE) {
            const int nt = (int)(tokens - t0 < TOKEN_TILE ? tokens - t0 : TOKEN_TILE);
            tile(type, (const uint8_t *)weights + r0 * row_bytes, row_bytes, nr, x + t0 * x_stride, x_stride, nt, cols,
                 out + t0 * out_stride + r0, out_stride);
        }
    }
}

#endif
