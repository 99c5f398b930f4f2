// DeterministicMath.expDouble's constants, shared by every x86 kernel that computes e^x
// (both SwiGLU kernels; softmax and Σ e^(l − m) through exp_avx512.h) so they cannot drift
// apart: k = round(x · log2(e)), r = x − k·ln2_hi − k·ln2_lo, e^r by a degree-13 Horner
// polynomial (1/13! first), then · 2^k.
#ifndef AGLM_EXP_POLYNOMIAL_H
#define AGLM_EXP_POLYNOMIAL_H

#define AGLM_EXP_LOG2E 1.44269504088896338700e+00
#define AGLM_EXP_LN2_HI 6.93147180369123816490e-01
#define AGLM_EXP_LN2_LO 1.90821492927058770002e-10
#define AGLM_EXP_FIRST (1.0 / 6227020800.0)
/// Calls STEP(c) for each later Horner coefficient, in order: p = p · r + c.
#define AGLM_EXP_HORNER_STEPS(STEP)                                                                              \
    STEP(1.0 / 479001600.0) STEP(1.0 / 39916800.0) STEP(1.0 / 3628800.0) STEP(1.0 / 362880.0) STEP(1.0 / 40320.0) \
    STEP(1.0 / 5040.0) STEP(1.0 / 720.0) STEP(1.0 / 120.0) STEP(1.0 / 24.0) STEP(1.0 / 6.0) STEP(0.5) STEP(1.0)    \
    STEP(1.0)
/// 2^52 + 1023: k + this puts k's biased exponent in the low mantissa bits.
#define AGLM_EXP_BIAS_SHIFTER (4503599627370496.0 + 1023.0)
/// DeterministicMath.exp's range: e^x is computed inside (−104, 88.8], fixed up outside.
#define AGLM_EXP_MAX_INPUT 88.8f
#define AGLM_EXP_MIN_INPUT (-104.0f)

#endif
