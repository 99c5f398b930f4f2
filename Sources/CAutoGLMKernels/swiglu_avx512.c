// SwiGLU with DeterministicMath's exp, vectorised over 8 lanes of Double. Every step is
// the scalar Swift code's IEEE operation in the same order, so each lane's bits equal the
// scalar result; see DeterministicMath.expDouble for the method.
#include "kernel_prologue.h"
#include "x86_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "exp_polynomial.h"

#define X86_KERNEL __attribute__((target("avx512f,avx512dq,avx512vl")))

// e^x for 8 Floats inside (-104, 88.8]; other lanes are fixed up by the caller.
X86_KERNEL static inline __m256 exp8(__m256 xf) {
    const __m512d x = _mm512_cvtps_pd(xf);
    const __m512d v = _mm512_mul_pd(x, _mm512_set1_pd(AGLM_EXP_LOG2E));
    // k = round half away from zero of v, exactly: truncate, then step by the exact remainder.
    const __m512d t = _mm512_roundscale_pd(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512d frac = _mm512_sub_pd(v, t);
    const __mmask8 up = _mm512_cmp_pd_mask(frac, _mm512_set1_pd(0.5), _CMP_GE_OQ);
    const __mmask8 down = _mm512_cmp_pd_mask(frac, _mm512_set1_pd(-0.5), _CMP_LE_OQ);
    __m512d k = _mm512_mask_add_pd(t, up, t, _mm512_set1_pd(1.0));
    k = _mm512_mask_sub_pd(k, down, k, _mm512_set1_pd(1.0));
    const __m512d r = _mm512_sub_pd(_mm512_sub_pd(x, _mm512_mul_pd(k, _mm512_set1_pd(AGLM_EXP_LN2_HI))),
                                    _mm512_mul_pd(k, _mm512_set1_pd(AGLM_EXP_LN2_LO)));
    __m512d p = _mm512_set1_pd(AGLM_EXP_FIRST);
#define HORNER(c) p = _mm512_add_pd(_mm512_mul_pd(p, r), _mm512_set1_pd(c));
    AGLM_EXP_HORNER_STEPS(HORNER)
#undef HORNER
    // 2^k from its bits: k + 1023 lands in the low mantissa bits of 2^52 + k + 1023.
    const __m512i n = _mm512_castpd_si512(_mm512_add_pd(k, _mm512_set1_pd(AGLM_EXP_BIAS_SHIFTER)));
    const __m512d scale = _mm512_castsi512_pd(_mm512_slli_epi64(n, 52));
    return _mm512_cvtpd_ps(_mm512_mul_pd(p, scale));
}

X86_KERNEL void aglm_swiglu_avx512(const float *gate, const float *up, int64_t count, float *out) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 neg = _mm256_xor_ps(g, _mm256_set1_ps(-0.0f));  // Swift's −x: a sign flip
        // DeterministicMath.exp's range checks, in its order: NaN, > 88.8, < −104.
        const __mmask8 nan = _mm256_cmp_ps_mask(neg, neg, _CMP_UNORD_Q);
        const __mmask8 big = _mm256_cmp_ps_mask(neg, _mm256_set1_ps(AGLM_EXP_MAX_INPUT), _CMP_GT_OQ);
        const __mmask8 small = _mm256_cmp_ps_mask(neg, _mm256_set1_ps(AGLM_EXP_MIN_INPUT), _CMP_LT_OQ);
        const __m256 inside = _mm256_mask_blend_ps(nan | big | small, neg, _mm256_setzero_ps());
        __m256 e = exp8(inside);
        e = _mm256_mask_blend_ps(small, e, _mm256_setzero_ps());
        e = _mm256_mask_blend_ps(big, e, _mm256_set1_ps(__builtin_inff()));
        e = _mm256_mask_blend_ps(nan, e, neg);
        const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    if (i < count) {
        // The tail through a zero-padded lane block, so it takes the same path.
        float g8[8] = {0}, u8[8] = {0}, o8[8];
        for (int64_t j = i; j < count; j++) { g8[j - i] = gate[j]; u8[j - i] = up[j]; }
        aglm_swiglu_avx512(g8, u8, 8, o8);
        for (int64_t j = i; j < count; j++) out[j] = o8[j - i];
    }
}

#endif
