// DeterministicMath.expDouble's arithmetic on 8 lanes of Double, shared by the AVX-512
// kernels that need e^x (SwiGLU, softmax, perplexity's log-softmax), with the constants of
// exp_polynomial.h that the AVX2 SwiGLU uses too, so they cannot drift apart. A private
// header: include it inside the files' x86-64 sections, after immintrin.h.
#ifndef AGLM_EXP_AVX512_H
#define AGLM_EXP_AVX512_H

#include "exp_polynomial.h"

// DeterministicMath.expDouble for 8 lanes inside [−745, 709] (NaN and the clamps are the
// caller's): k = x·log2(e) rounded half away from zero, r = (x − k·ln2_hi) − k·ln2_lo, the
// degree-13 Horner polynomial, then scaleByPowerOfTwo's one or two power-of-two products.
__attribute__((target("avx512f,avx512dq"))) static inline __m512d aglm_exp_inside_pd(__m512d x) {
    const __m512d v = _mm512_mul_pd(x, _mm512_set1_pd(AGLM_EXP_LOG2E));
    // Half away from zero, exactly: truncate, then step by the exact remainder.
    const __m512d t = _mm512_roundscale_pd(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512d frac = _mm512_sub_pd(v, t);
    const __mmask8 up = _mm512_cmp_pd_mask(frac, _mm512_set1_pd(0.5), _CMP_GE_OQ);
    const __mmask8 down = _mm512_cmp_pd_mask(frac, _mm512_set1_pd(-0.5), _CMP_LE_OQ);
    __m512d k = _mm512_mask_add_pd(t, up, t, _mm512_set1_pd(1.0));
    k = _mm512_mask_sub_pd(k, down, k, _mm512_set1_pd(1.0));
    const __m512d r = _mm512_sub_pd(_mm512_sub_pd(x, _mm512_mul_pd(k, _mm512_set1_pd(AGLM_EXP_LN2_HI))),
                                    _mm512_mul_pd(k, _mm512_set1_pd(AGLM_EXP_LN2_LO)));
#define HORNER(c) p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(c));
    __m512d p = _mm512_set1_pd(AGLM_EXP_FIRST);
    AGLM_EXP_HORNER_STEPS(HORNER)
#undef HORNER
    // scaleByPowerOfTwo: below k = −1000 first · 2^−1000 (x ≥ −745 keeps k ≥ −1075), then · 2^k.
    const __mmask8 tiny = _mm512_cmp_pd_mask(k, _mm512_set1_pd(-1000.0), _CMP_LT_OQ);
    p = _mm512_mask_mul_pd(p, tiny, p, _mm512_castsi512_pd(_mm512_set1_epi64((int64_t)(-1000 + 1023) << 52)));
    k = _mm512_mask_add_pd(k, tiny, k, _mm512_set1_pd(1000.0));
    // 2^k from its bits: k + 1023 lands in the low mantissa bits of 2^52 + k + 1023.
    const __m512i n = _mm512_castpd_si512(_mm512_add_pd(k, _mm512_set1_pd(AGLM_EXP_BIAS_SHIFTER)));
    return _mm512_mul_pd(p, _mm512_castsi512_pd(_mm512_slli_epi64(n, 52)));
}

// DeterministicMath.exp (Float) of 8 lanes, range checks included: NaN, > 88.8, < −104.
__attribute__((target("avx512f,avx512dq,avx512vl"))) static inline __m256 aglm_exp_ps8(__m256 x) {
    const __mmask8 nan = _mm256_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    const __mmask8 big = _mm256_cmp_ps_mask(x, _mm256_set1_ps(AGLM_EXP_MAX_INPUT), _CMP_GT_OQ);
    const __mmask8 small = _mm256_cmp_ps_mask(x, _mm256_set1_ps(AGLM_EXP_MIN_INPUT), _CMP_LT_OQ);
    const __m256 inside = _mm256_mask_blend_ps(nan | big | small, x, _mm256_setzero_ps());
    __m256 e = _mm512_cvtpd_ps(aglm_exp_inside_pd(_mm512_cvtps_pd(inside)));
    e = _mm256_mask_blend_ps(small, e, _mm256_setzero_ps());
    e = _mm256_mask_blend_ps(big, e, _mm256_set1_ps(__builtin_inff()));
    return _mm256_mask_blend_ps(nan, e, x);
}

#endif
