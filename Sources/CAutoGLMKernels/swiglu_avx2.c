// SwiGLU with DeterministicMath's exp for the avx2 kernel path: the steps of
// swiglu_avx512.c (each the scalar Swift code's IEEE operation, in its order) on two
// 4-lane halves of Double, with blends where AVX-512 uses mask registers.
#include "kernel_prologue.h"
#include "x86_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "exp_polynomial.h"

#define X86_KERNEL __attribute__((target("avx2,fma,f16c")))

// e^x for 4 Floats inside (-104, 88.8]; other lanes are fixed up by the caller.
X86_KERNEL static inline __m128 exp4(__m128 xf) {
    const __m256d x = _mm256_cvtps_pd(xf);
    const __m256d v = _mm256_mul_pd(x, _mm256_set1_pd(AGLM_EXP_LOG2E));
    // k = round half away from zero of v, exactly: truncate, then step by the exact remainder.
    const __m256d t = _mm256_round_pd(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256d frac = _mm256_sub_pd(v, t);
    const __m256d up = _mm256_cmp_pd(frac, _mm256_set1_pd(0.5), _CMP_GE_OQ);
    const __m256d down = _mm256_cmp_pd(frac, _mm256_set1_pd(-0.5), _CMP_LE_OQ);
    __m256d k = _mm256_blendv_pd(t, _mm256_add_pd(t, _mm256_set1_pd(1.0)), up);
    k = _mm256_blendv_pd(k, _mm256_sub_pd(k, _mm256_set1_pd(1.0)), down);
    const __m256d r = _mm256_sub_pd(_mm256_sub_pd(x, _mm256_mul_pd(k, _mm256_set1_pd(AGLM_EXP_LN2_HI))),
                                    _mm256_mul_pd(k, _mm256_set1_pd(AGLM_EXP_LN2_LO)));
    __m256d p = _mm256_set1_pd(AGLM_EXP_FIRST);
#define HORNER(c) p = _mm256_add_pd(_mm256_mul_pd(p, r), _mm256_set1_pd(c));
    AGLM_EXP_HORNER_STEPS(HORNER)
#undef HORNER
    // 2^k from its bits: k + 1023 lands in the low mantissa bits of 2^52 + k + 1023.
    const __m256i n = _mm256_castpd_si256(_mm256_add_pd(k, _mm256_set1_pd(AGLM_EXP_BIAS_SHIFTER)));
    const __m256d scale = _mm256_castsi256_pd(_mm256_slli_epi64(n, 52));
    return _mm256_cvtpd_ps(_mm256_mul_pd(p, scale));
}

X86_KERNEL void aglm_swiglu_avx2(const float *gate, const float *up, int64_t count, float *out) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 neg = _mm256_xor_ps(g, _mm256_set1_ps(-0.0f));  // Swift's −x: a sign flip
        // DeterministicMath.exp's range checks, in its order: NaN, > 88.8, < −104.
        const __m256 nan = _mm256_cmp_ps(neg, neg, _CMP_UNORD_Q);
        const __m256 big = _mm256_cmp_ps(neg, _mm256_set1_ps(AGLM_EXP_MAX_INPUT), _CMP_GT_OQ);
        const __m256 small = _mm256_cmp_ps(neg, _mm256_set1_ps(AGLM_EXP_MIN_INPUT), _CMP_LT_OQ);
        const __m256 outside = _mm256_or_ps(nan, _mm256_or_ps(big, small));
        const __m256 inside = _mm256_blendv_ps(neg, _mm256_setzero_ps(), outside);
        __m256 e = _mm256_set_m128(exp4(_mm256_extractf128_ps(inside, 1)), exp4(_mm256_castps256_ps128(inside)));
        e = _mm256_blendv_ps(e, _mm256_setzero_ps(), small);
        e = _mm256_blendv_ps(e, _mm256_set1_ps(__builtin_inff()), big);
        e = _mm256_blendv_ps(e, neg, nan);
        const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    if (i < count) {
        // The tail through a zero-padded lane block, so it takes the same path.
        float g8[8] = {0}, u8[8] = {0}, o8[8];
        for (int64_t j = i; j < count; j++) { g8[j - i] = gate[j]; u8[j - i] = up[j]; }
        aglm_swiglu_avx2(g8, u8, 8, o8);
        for (int64_t j = i; j < count; j++) out[j] = o8[j - i];
    }
}

#endif
