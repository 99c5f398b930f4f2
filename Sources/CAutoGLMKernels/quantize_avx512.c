// ActivationQuantization.quantizeRow (and blockSums) 16 lanes at a time, with the same
// IEEE steps: amax ignores NaN like Swift's max, d = amax / 127, id = 1 / d (0 when d is
// 0), q = round half away from zero of x · id, clamped to int8. And the same fused with
// RMSNorm (ActivationQuantization.rmsNormQuantizeRow): each block is normed in registers
// and quantized, the normed row never stored.
#include "kernel_prologue.h"
#include "x86_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "rms_scale.h"

#define X86_KERNEL __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

// Round half away from zero, exactly: truncate, then step by the exact remainder.
X86_KERNEL static inline __m512 round_away(__m512 v) {
    const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512 frac = _mm512_sub_ps(v, t);
    const __mmask16 up = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
    const __mmask16 down = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(-0.5f), _CMP_LE_OQ);
    __m512 r = _mm512_mask_add_ps(t, up, t, _mm512_set1_ps(1.0f));
    return _mm512_mask_sub_ps(r, down, r, _mm512_set1_ps(1.0f));
}

// One block of 32 values (lo: 0..15, hi: 16..31) into out[0..32), *scale and *sum (when
// sum is not NULL).
X86_KERNEL static inline void quantize_block(__m512 lo, __m512 hi, int8_t *out, float *scale, int32_t *sum) {
    const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
    // vmaxps returns its second operand when either is NaN: NaN inputs never win.
    __m512 m = _mm512_max_ps(_mm512_and_ps(lo, abs_mask), _mm512_setzero_ps());
    m = _mm512_max_ps(_mm512_and_ps(hi, abs_mask), m);
    const float amax = _mm512_reduce_max_ps(m);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const __m512 idv = _mm512_set1_ps(id);
    const __m512i qlo = _mm512_cvttps_epi32(round_away(_mm512_mul_ps(lo, idv)));
    const __m512i qhi = _mm512_cvttps_epi32(round_away(_mm512_mul_ps(hi, idv)));
    _mm_storeu_si128((__m128i *)out, _mm512_cvtsepi32_epi8(qlo));
    _mm_storeu_si128((__m128i *)(out + 16), _mm512_cvtsepi32_epi8(qhi));
    *scale = d;
    if (sum != NULL) {
        const __m512i clamped = _mm512_add_epi32(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)out)),
                                                 _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(out + 16))));
        *sum = _mm512_reduce_add_epi32(clamped);
    }
}

X86_KERNEL static void quantize_rows(const float *x, int64_t x_stride, int64_t tokens, int64_t cols, int8_t *values,
                                     float *scales, int32_t *sums) {
    const int64_t blocks = cols / 32;
    for (int64_t t = 0; t < tokens; t++) {
        const float *row = x + t * x_stride;
        for (int64_t b = 0; b < blocks; b++) {
            quantize_block(_mm512_loadu_ps(row + 32 * b), _mm512_loadu_ps(row + 32 * b + 16), values + t * cols + 32 * b,
                           scales + t * blocks + b, sums != NULL ? sums + t * blocks + b : NULL);
        }
    }
}

X86_KERNEL static void rmsnorm_quantize_rows(const float *x, int64_t x_stride, const float *weight, float eps,
                                             int64_t tokens, int64_t cols, int8_t *values, float *scales, int32_t *sums) {
    const int64_t blocks = cols / 32;
    for (int64_t t = 0; t < tokens; t++) {
        const float *row = x + t * x_stride;
        const __m512 s = _mm512_set1_ps(rms_scale(row, cols, eps));
        for (int64_t b = 0; b < blocks; b++) {
            // weight · (x · s): Ops.rmsNorm's two products in its order.
            const __m512 lo = _mm512_mul_ps(_mm512_loadu_ps(weight + 32 * b), _mm512_mul_ps(_mm512_loadu_ps(row + 32 * b), s));
            const __m512 hi = _mm512_mul_ps(_mm512_loadu_ps(weight + 32 * b + 16),
                                            _mm512_mul_ps(_mm512_loadu_ps(row + 32 * b + 16), s));
            quantize_block(lo, hi, values + t * cols + 32 * b, scales + t * blocks + b,
                           sums != NULL ? sums + t * blocks + b : NULL);
        }
    }
}

void aglm_quantize_rows_avx512(const float *x, int64_t x_stride, int64_t tokens, int64_t cols, int8_t *values,
                               float *scales, int32_t *sums) {
    quantize_rows(x, x_stride, tokens, cols, values, scales, sums);
}

void aglm_rmsnorm_quantize_rows_avx512(const float *x, int64_t x_stride, const float *weight, float eps, int64_t tokens,
                                       int64_t cols, int8_t *values, float *scales, int32_t *sums) {
    rmsnorm_quantize_rows(x, x_stride, weight, eps, tokens, cols, values, scales, sums);
}

#endif
