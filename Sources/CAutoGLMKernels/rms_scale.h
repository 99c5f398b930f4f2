// Ops.rmsScale for the x86 fused RMSNorm + quantize kernels (every path the same bits).
#ifndef AGLM_RMS_SCALE_H
#define AGLM_RMS_SCALE_H

#include <immintrin.h>
#include <stdint.h>

// The sum of squares in index order, one float at a time (no reassociation: the compiler
// may not vectorize a float sum without -ffast-math), then 1/sqrt. Scalar SSE, which every
// x86-64 has, so any kernel's target may call it.
static inline float rms_scale(const float *x, int64_t count, float eps) {
    float sum_squares = 0.0f;
    for (int64_t i = 0; i < count; i++) sum_squares += x[i] * x[i];
    // sqrtss: the correctly rounded square root, as Swift's squareRoot().
    return 1.0f / _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(sum_squares / (float)count + eps)));
}

#endif
