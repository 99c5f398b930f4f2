// CPU detection for the kernel paths, and the public entry points: each looks at the path
// its caller chose once at start-up (one switch per call, never inside a loop) and runs
// that path's implementation, or returns 0 so the caller runs the Swift kernel.
#include "kernel_prologue.h"
#include "x86_kernels.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

#if defined(__x86_64__)

// The instructions each path's kernels use. __builtin_cpu_supports also checks that the
// OS saves the wide registers (XCR0), so a feature the kernel disabled reads as absent.
static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

static int cpu_has_avx512vnni(void) {
    __builtin_cpu_init();
    return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vnni");
}

int32_t aglm_kernel_path_supported(int32_t path) {
    switch (path) {
    case AGLM_PATH_SCALAR: return 1;
    case AGLM_PATH_AVX2: return cpu_has_avx2();
    case AGLM_PATH_AVX512VNNI: return cpu_has_avx512vnni();
    default: return 0;
    }
}

int32_t aglm_path_has_packed_kernels(int32_t path) {
    return path == AGLM_PATH_AVX2 || path == AGLM_PATH_AVX512VNNI;
}

void aglm_q8_packed_matmul(int32_t path, const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                           const int8_t *xq, const float *xd, const int32_t *xsum, int64_t tokens, float *out,
                           int64_t out_stride) {
    if (path == AGLM_PATH_AVX512VNNI)
        aglm_q8_packed_matmul_avx512(packed, cols, group_begin, group_end, xq, xd, xsum, tokens, out, out_stride);
    else if (path == AGLM_PATH_AVX2)
        aglm_q8_packed_matmul_avx2(packed, cols, group_begin, group_end, xq, xd, xsum, tokens, out, out_stride);
}

void aglm_i8_packed_matmul(int32_t path, const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                           const float *row_scales, const int8_t *zero_points, const int8_t *xq, const float *xd,
                           const int32_t *xsum, int64_t tokens, float *out, int64_t out_stride) {
    if (path == AGLM_PATH_AVX512VNNI)
        aglm_i8_packed_matmul_avx512(packed, cols, group_begin, group_end, row_scales, zero_points, xq, xd, xsum, tokens,
                                     out, out_stride);
    else if (path == AGLM_PATH_AVX2)
        aglm_i8_packed_matmul_avx2(packed, cols, group_begin, group_end, row_scales, zero_points, xq, xd, xsum, tokens,
                                   out, out_stride);
}

int32_t aglm_float_matmul(int32_t path, int32_t type, const void *weights, int64_t row_bytes, int64_t cols,
                          int64_t row_begin, int64_t row_end, const float *x, int64_t x_stride, int64_t tokens,
                          float *out, int64_t out_stride) {
    switch (path) {
    case AGLM_PATH_AVX512VNNI:
        aglm_float_matmul_avx512(type, weights, row_bytes, cols, row_begin, row_end, x, x_stride, tokens, out, out_stride);
        return 1;
    case AGLM_PATH_AVX2:
        aglm_float_matmul_avx2(type, weights, row_bytes, cols, row_begin, row_end, x, x_stride, tokens, out, out_stride);
        return 1;
    default: return 0;
    }
}

int32_t aglm_quantize_rows(int32_t path, const float *x, int64_t x_stride, int64_t tokens, int64_t cols, int8_t *values,
                           float *scales, int32_t *sums) {
    switch (path) {
    case AGLM_PATH_AVX512VNNI: aglm_quantize_rows_avx512(x, x_stride, tokens, cols, values, scales, sums); return 1;
    case AGLM_PATH_AVX2: aglm_quantize_rows_avx2(x, x_stride, tokens, cols, values, scales, sums); return 1;
    default: return 0;
    }
}

int32_t aglm_rmsnorm_quantize_rows(int32_t path, const float *x, int64_t x_stride, const float *weight, float eps,
                                   int64_t tokens, int64_t cols, int8_t *values, float *scales, int32_t *sums) {
    switch (path) {
    case AGLM_PATH_AVX512VNNI:
        aglm_rmsnorm_quantize_rows_avx512(x, x_stride, weight, eps, tokens, cols, values, scales, sums);
        return 1;
    case AGLM_PATH_AVX2:
        aglm_rmsnorm_quantize_rows_avx2(x, x_stride, weight, eps, tokens, cols, values, scales, sums);
        return 1;
    default: return 0;
    }
}

int32_t aglm_swiglu(int32_t path, const float *gate, const float *up, int64_t count, float *out) {
    switch (path) {
    case AGLM_PATH_AVX512VNNI: aglm_swiglu_avx512(gate, up, count, out); return 1;
    case AGLM_PATH_AVX2: aglm_swiglu_avx2(gate, up, count, out); return 1;
    default: return 0;
    }
}

#else

int32_t aglm_kernel_path_supported(int32_t path) {
#if defined(__aarch64__)
    // Simple on purpose: every aarch64 CPU has NEON; SDOT and SMMLA from the kernel's hwcaps.
    switch (path) {
    case AGLM_PATH_SCALAR:
    case AGLM_PATH_NEON: return 1;
#if defined(__linux__) && defined(HWCAP_ASIMDDP)
    case AGLM_PATH_NEON_DOTPROD: return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#endif
#if defined(__linux__) && defined(HWCAP2_I8MM)
    // The i8mm kernels hand one-token calls to the SDOT kernel, so they need both.
    case AGLM_PATH_NEON_I8MM:
        return (getauxval(AT_HWCAP2) & HWCAP2_I8MM) != 0 && (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#endif
    default: return 0;
    }
#else
    return path == AGLM_PATH_SCALAR;
#endif
}

int32_t aglm_path_has_packed_kernels(int32_t path) {
    (void)path;
    return 0;
}

void aglm_q8_packed_matmul(int32_t path, const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                           const int8_t *xq, const float *xd, const int32_t *xsum, int64_t tokens, float *out,
                           int64_t out_stride) {
    (void)path; (void)packed; (void)cols; (void)group_begin; (void)group_end; (void)xq; (void)xd; (void)xsum;
    (void)tokens; (void)out; (void)out_stride;
}

void aglm_i8_packed_matmul(int32_t path, const void *packed, int64_t cols, int64_t group_begin, int64_t group_end,
                           const float *row_scales, const int8_t *zero_points, const int8_t *xq, const float *xd,
                           const int32_t *xsum, int64_t tokens, float *out, int64_t out_stride) {
    (void)path; (void)packed; (void)cols; (void)group_begin; (void)group_end; (void)row_scales; (void)zero_points;
    (void)xq; (void)xd; (void)xsum; (void)tokens; (void)out; (void)out_stride;
}

int32_t aglm_float_matmul(int32_t path, int32_t type, const void *weights, int64_t row_bytes, int64_t cols,
                          int64_t row_begin, int64_t row_end, const float *x, int64_t x_stride, int64_t tokens,
                          float *out, int64_t out_stride) {
    (void)path; (void)type; (void)weights; (void)row_bytes; (void)cols; (void)row_begin; (void)row_end; (void)x;
    (void)x_stride; (void)tokens; (void)out; (void)out_stride;
    return 0;
}

int32_t aglm_quantize_rows(int32_t path, const float *x, int64_t x_stride, int64_t tokens, int64_t cols, int8_t *values,
                           float *scales, int32_t *sums) {
    (void)path; (void)x; (void)x_stride; (void)tokens; (void)cols; (void)values; (void)scales; (void)sums;
    return 0;
}

int32_t aglm_rmsnorm_quantize_rows(int32_t path, const float *x, int64_t x_stride, const float *weight, float eps,
                                   int64_t tokens, int64_t cols, int8_t *values, float *scales, int32_t *sums) {
    (void)path; (void)x; (void)x_stride; (void)weight; (void)eps; (void)tokens; (void)cols; (void)values; (void)scales;
    (void)sums;
    return 0;
}

int32_t aglm_swiglu(int32_t path, const float *gate, const float *up, int64_t count, float *out) {
    (void)path; (void)gate; (void)up; (void)count; (void)out;
    return 0;
}

#endif
