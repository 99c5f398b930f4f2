// The exp-heavy loops of attention and perplexity with DeterministicMath's exp, 8 lanes of
// Double at a time: attention's softmax (Ops.softmax) and the Σ e^(l − m) of a
// log-softmax over the vocabulary (Perplexity.negativeLogLikelihood). Every lane runs the
// scalar Swift code's IEEE operations in the same order, and every sum is added in index
// order as the Swift loop adds it, so the results are the same bits; only the scalar
// exp's long dependency chain (about 100 cycles each) is spread over lanes.
#include "kernel_prologue.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "exp_avx512.h"

#define X86_KERNEL __attribute__((target("avx2,avx512f,avx512dq,avx512vl")))

static int softmax_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

// DeterministicMath.expDouble of 8 lanes, range checks included: NaN, > 709, < −745.
X86_KERNEL static inline __m512d exp_double8(__m512d x) {
    const __mmask8 nan = _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q);
    const __mmask8 big = _mm512_cmp_pd_mask(x, _mm512_set1_pd(709.0), _CMP_GT_OQ);
    const __mmask8 small = _mm512_cmp_pd_mask(x, _mm512_set1_pd(-745.0), _CMP_LT_OQ);
    const __m512d inside = _mm512_mask_blend_pd(nan | big | small, x, _mm512_setzero_pd());
    __m512d e = aglm_exp_inside_pd(inside);
    e = _mm512_mask_blend_pd(small, e, _mm512_setzero_pd());
    e = _mm512_mask_blend_pd(big, e, _mm512_set1_pd(__builtin_inf()));
    return _mm512_mask_blend_pd(nan, e, x);
}

X86_KERNEL static void softmax_avx512(float *x, int64_t count) {
    float max_value = -__builtin_inff();
    for (int64_t i = 0; i < count; i++) max_value = x[i] >= max_value ? x[i] : max_value;  // Swift's max(m, x)
    float sum = 0;
    int64_t i = 0;
    const __m256 m = _mm256_set1_ps(max_value);
    for (; i + 8 <= count; i += 8) {
        const __m256 e = aglm_exp_ps8(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
        _mm256_storeu_ps(x + i, e);
        float lanes[8];
        _mm256_storeu_ps(lanes, e);
        for (int j = 0; j < 8; j++) sum += lanes[j];
    }
    if (i < count) {
        float block[8] = {0};
        for (int64_t j = i; j < count; j++) block[j - i] = x[j] - max_value;
        float lanes[8];
        _mm256_storeu_ps(lanes, aglm_exp_ps8(_mm256_loadu_ps(block)));
        for (int64_t j = i; j < count; j++) {
            x[j] = lanes[j - i];
            sum += lanes[j - i];
        }
    }
    for (int64_t j = 0; j < count; j++) x[j] /= sum;
}

X86_KERNEL static double sum_exp_avx512(const float *x, int64_t count, double shift) {
    double sum = 0;
    int64_t i = 0;
    const __m512d s = _mm512_set1_pd(shift);
    double lanes[8];
    for (; i + 8 <= count; i += 8) {
        _mm512_storeu_pd(lanes, exp_double8(_mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i)), s)));
        for (int j = 0; j < 8; j++) sum += lanes[j];
    }
    if (i < count) {
        double block[8] = {0};
        for (int64_t j = i; j < count; j++) block[j - i] = (double)x[j] - shift;
        _mm512_storeu_pd(lanes, exp_double8(_mm512_loadu_pd(block)));
        for (int64_t j = i; j < count; j++) sum += lanes[j - i];
    }
    return sum;
}

int32_t aglm_softmax(int32_t path, float *x, int64_t count) {
    static int available = -1;
    if (path != AGLM_PATH_AVX512VNNI) return 0;
    if (available < 0) available = softmax_available();
    if (!available) return 0;
    softmax_avx512(x, count);
    return 1;
}

int32_t aglm_sum_exp_shifted(int32_t path, const float *x, int64_t count, double shift, double *sum) {
    static int available = -1;
    if (path != AGLM_PATH_AVX512VNNI) return 0;
    if (available < 0) available = softmax_available();
    if (!available) return 0;
    *sum = sum_exp_avx512(x, count, shift);
    return 1;
}

#else

int32_t aglm_softmax(int32_t path, float *x, int64_t count) {
    (void)path; (void)x; (void)count;
    return 0;
}

int32_t aglm_sum_exp_shifted(int32_t path, const float *x, int64_t count, double shift, double *sum) {
    (void)path; (void)x; (void)count; (void)shift; (void)sum;
    return 0;
}

#endif
