// ActivationQuantization.quantizeRow (and blockSums), and the same fused with RMSNorm,
// 8 lanes at a time for the avx2 kernel path — the IEEE steps of quantize_avx512.c and
// of the Swift loop: amax ignores NaN like Swift's max, d = amax / 127, id = 1 / d (0 when
// d is 0), q = round half away from zero of x · id, saturated to int8.
#include "kernel_prologue.h"
#include "x86_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "rms_scale.h"

#define X86_KERNEL __attribute__((target("avx2,fma,f16c")))

// Round half away from zero, exactly: truncate, then step by the exact remainder. (A −0
// may come out +0; the int conversion that follows makes both 0.)
X86_KERNEL static inline __m256 round_away(__m256 v) {
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 frac = _mm256_sub_ps(v, t);
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 up = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ), one);
    const __m256 down = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(-0.5f), _CMP_LE_OQ), one);
    return _mm256_sub_ps(_mm256_add_ps(t, up), down);
}

// One block of 32 values v[0..4) (8 each) into out[0..32), *scale and *sum (when not NULL).
X86_KERNEL static inline void quantize_block(const __m256 v[4], int8_t *out, float *scale, int32_t *sum) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    // vmaxps returns its second operand when either is NaN: NaN inputs never win.
    __m256 m = _mm256_setzero_ps();
    for (int i = 0; i < 4; i++) m = _mm256_max_ps(_mm256_and_ps(v[i], abs_mask), m);
    // No NaN is left, so the reduction's order cannot matter.
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    const float amax = _mm_cvtss_f32(m4);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const __m256 idv = _mm256_set1_ps(id);
    __m256i q[4];
    // Non-finite products and values beyond int32 convert to INT32_MIN, as in the Swift loop.
    for (int i = 0; i < 4; i++) q[i] = _mm256_cvttps_epi32(round_away(_mm256_mul_ps(v[i], idv)));
    // Saturating to int16 then to int8 is saturating to int8; the packs interleave 128-bit
    // lanes, which the permutation undoes.
    const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    const __m256i ordered = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)out, ordered);
    *scale = d;
    if (sum != NULL) {
        // Σ(q + 128) with vpsadbw, exact, then the offset back off.
        const __m256i biased = _mm256_sad_epu8(_mm256_xor_si256(ordered, _mm256_set1_epi8((char)0x80)), _mm256_setzero_si256());
        const __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(biased), _mm256_extracti128_si256(biased, 1));
        *sum = (int32_t)(_mm_cvtsi128_si64(s2) + _mm_extract_epi64(s2, 1)) - 32 * 128;
    }
}

X86_KERNEL void aglm_quantize_rows_avx2(const float *x, int64_t x_stride, int64_t tokens, int64_t cols, int8_t *values,
                                        float *scales, int32_t *sums) {
    const int64_t blocks = cols / 32;
    for (int64_t t = 0; t < tokens; t++) {
        const float *row = x + t * x_stride;
        for (int64_t b = 0; b < blocks; b++) {
            __m256 v[4];
            for (int i = 0; i < 4; i++) v[i] = _mm256_loadu_ps(row + 32 * b + 8 * i);
            quantize_block(v, values + t * cols + 32 * b, scales + t * blocks + b, sums != NULL ? sums + t * blocks + b : NULL);
        }
    }
}

X86_KERNEL void aglm_rmsnorm_quantize_rows_avx2(const float *x, int64_t x_stride, const float *weight, float eps,
                                                int64_t tokens, int64_t cols, int8_t *values, float *scales,
                                                int32_t *sums) {
    const int64_t blocks = cols / 32;
    for (int64_t t = 0; t < tokens; t++) {
        const float *row = x + t * x_stride;
        const __m256 s = _mm256_set1_ps(rms_scale(row, cols, eps));
        for (int64_t b = 0; b < blocks; b++) {
            __m256 v[4];
            // weight · (x · s): Ops.rmsNorm's two products in its order.
            for (int i = 0; i < 4; i++) {
                const int64_t at = 32 * b + 8 * i;
                v[i] = _mm256_mul_ps(_mm256_loadu_ps(weight + at), _mm256_mul_ps(_mm256_loadu_ps(row + at), s));
            }
            quantize_block(v, values + t * cols + 32 * b, scales + t * blocks + b, sums != NULL ? sums + t * blocks + b : NULL);
        }
    }
}

#endif
