// SwiGLU with DeterministicMath's exp, vectorised over 8 lanes of Double. Every step is
// the scalar Swift code's IEEE operation in the same order, so each lane's bits equal the
// scalar result; see DeterministicMath.expDouble for the method.
#include "kernel_prologue.h"
#include "x86_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "exp_avx512.h"

#define X86_KERNEL __attribute__((target("avx512f,avx512dq,avx512vl")))

X86_KERNEL void aglm_swiglu_avx512(const float *gate, const float *up, int64_t count, float *out) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 neg = _mm256_xor_ps(g, _mm256_set1_ps(-0.0f));  // Swift's −x: a sign flip
        const __m256 e = aglm_exp_ps8(neg);  // DeterministicMath.exp, its range checks included
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
